"""Record classes: the part of the standard library's ``dataclasses`` this code base uses, at a
fraction of its start-up cost.

Why not ``dataclasses``: importing it imports ``inspect`` (and with it ``ast``, ``dis``,
``tokenize``), and each class it makes compiles three to five methods from source when its
module is imported. On the commit hook's path that was 20-30 ms for about 22 classes, a third
of what the hook may take in all (issue 10: 70 ms). Here a class costs a walk over its
annotations; its ``__init__`` is compiled the first time one is made (most classes on the hook
path never are), and equality, hashing and ``repr`` go through one ``attrgetter``.

What it offers, with the meaning ``dataclasses`` gives it: ``@record`` (``frozen``, ``slots``),
``field(default=, default_factory=, repr=, compare=)``, ``__post_init__``, ``fields``,
``replace`` and ``asdict``. Type checkers read ``@record`` as a dataclass (PEP 681)."""
from __future__ import annotations

from operator import attrgetter
from typing import TYPE_CHECKING, Any, Callable, TypeVar

if TYPE_CHECKING:
    from typing_extensions import dataclass_transform
else:
    def dataclass_transform(**_kwargs: Any) -> Callable[[Any], Any]:
        return lambda f: f

T = TypeVar("T")


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


class FrozenInstanceError(AttributeError):
    """Assignment to a field of a frozen record."""


class Field:
    __slots__ = ("name", "default", "default_factory", "repr", "compare")

    def __init__(self, default: Any = MISSING, default_factory: Any = MISSING, repr: bool = True,
                 compare: bool = True) -> None:
        self.name = ""
        self.default = default
        self.default_factory = default_factory
        self.repr = repr
        self.compare = compare


def field(*, default: Any = MISSING, default_factory: Callable[[], Any] | Any = MISSING, repr: bool = True,
          compare: bool = True) -> Any:
    return Field(default, default_factory, repr, compare)


@dataclass_transform(field_specifiers=(field,))
def record(cls: Any = None, /, *, frozen: bool = False, slots: bool = False) -> Any:
    def wrap(c: type[T]) -> type[T]:
        return _make(c, frozen, slots)
    return wrap if cls is None else wrap(cls)


def fields(obj: Any) -> tuple[Field, ...]:
    return obj.__record_fields__


def replace(obj: T, **changes: Any) -> T:
    """A copy of ``obj`` with ``changes``, made through ``__init__`` (so ``__post_init__`` runs)."""
    values = {f.name: getattr(obj, f.name) for f in obj.__record_fields__}   # type: ignore[attr-defined]
    values.update(changes)
    return type(obj)(**values)


def asdict(obj: Any) -> dict[str, Any]:
    """The fields as a dict, records, lists and dicts inside copied, as ``dataclasses.asdict``."""
    return {f.name: _plain(getattr(obj, f.name)) for f in obj.__record_fields__}


def _plain(value: Any) -> Any:
    if hasattr(type(value), "__record_fields__"):
        return asdict(value)
    if isinstance(value, dict):
        return {_plain(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_plain(v) for v in value)
    return value


def _make(cls: Any, frozen: bool, slots: bool) -> Any:
    inherited = [f for base in reversed(cls.__mro__[1:]) for f in getattr(base, "__record_fields__", ())]
    by_name = {f.name: f for f in inherited}
    own = []
    for name, annotation in cls.__dict__.get("__annotations__", {}).items():
        if str(annotation).startswith(("ClassVar", "typing.ClassVar")):
            continue
        value = cls.__dict__.get(name, MISSING)
        f = value if isinstance(value, Field) else Field(value)
        f.name = name
        if isinstance(f.default, (list, dict, set)):
            raise ValueError(f"{cls.__name__}.{name}: a mutable default needs default_factory")
        by_name[name] = f
        own.append(name)
    all_fields = tuple(by_name.values())
    seen_default = False
    for f in all_fields:
        has_default = f.default is not MISSING or f.default_factory is not MISSING
        if seen_default and not has_default:
            raise TypeError(f"{cls.__name__}: field {f.name!r} without a default follows one with a default")
        seen_default = seen_default or has_default

    names = [f.name for f in all_fields if f.compare]
    special: dict[str, Any] = {
        "__record_fields__": all_fields, "__record_frozen__": frozen, "__match_args__": tuple(by_name),
        "_record_key": staticmethod(attrgetter(*names) if names else (lambda _obj: ())),
        "__hash__": _hash if frozen else None}
    if frozen:
        special.update(__setattr__=_frozen_set, __delattr__=_frozen_del, __getstate__=_getstate,
                       __setstate__=_setstate)
    # Methods the class writes itself are kept, as dataclasses keeps them.
    for name, method in (("__init__", _lazy_init()), ("__repr__", _repr), ("__eq__", _eq)):
        if name not in cls.__dict__:
            special[name] = method
    if slots:
        taken = {s for base in cls.__mro__[1:] for s in getattr(base, "__slots__", ())}
        body = {k: v for k, v in cls.__dict__.items() if k not in by_name and k not in ("__dict__", "__weakref__")}
        body.update(special, __slots__=tuple(n for n in by_name if n not in taken))
        made = type(cls)(cls.__name__, cls.__bases__, body)
        made.__qualname__ = cls.__qualname__
        return made
    for name in own:
        if isinstance(cls.__dict__.get(name), Field):
            # Cls.name reads the default, as with dataclasses (none: no class attribute).
            if by_name[name].default is MISSING:
                delattr(cls, name)
            else:
                setattr(cls, name, by_name[name].default)
    for key, value in special.items():
        setattr(cls, key, value)
    return cls


def _lazy_init() -> Callable[..., None]:
    """An ``__init__`` that compiles the real one for its class on the first call and hands over."""
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        owner = next(c for c in type(self).__mro__ if c.__dict__.get("__init__") is __init__)
        real = _compile_init(owner)
        type.__setattr__(owner, "__init__", real)
        real(self, *args, **kwargs)
    return __init__


def _compile_init(cls: Any) -> Callable[..., None]:
    ns: dict[str, Any] = {"MISSING": MISSING, "_set": object.__setattr__}
    params, lines = [], []
    for f in cls.__record_fields__:
        value = f.name
        if f.default_factory is not MISSING:
            ns[f"_factory_{f.name}"] = f.default_factory
            params.append(f"{f.name}=MISSING")
            value = f"_factory_{f.name}() if {f.name} is MISSING else {f.name}"
        elif f.default is not MISSING:
            ns[f"_default_{f.name}"] = f.default
            params.append(f"{f.name}=_default_{f.name}")
        else:
            params.append(f.name)
        lines.append(f"_set(self, {f.name!r}, {value})" if cls.__record_frozen__ else f"self.{f.name} = {value}")
    if hasattr(cls, "__post_init__"):
        lines.append("self.__post_init__()")
    source = f"def __init__(self, {', '.join(params)}):\n    " + "\n    ".join(lines or ["pass"])
    exec(source, ns)   # noqa: S102 - the source is built from the class's own field names
    init = ns["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    return init


def _repr(self: Any) -> str:
    shown = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in self.__record_fields__ if f.repr)
    return f"{type(self).__qualname__}({shown})"


def _eq(self: Any, other: Any) -> Any:
    if other.__class__ is not self.__class__:
        return NotImplemented
    key = self._record_key
    return key(self) == key(other)


def _hash(self: Any) -> int:
    return hash(self._record_key(self))


def _frozen_set(self: Any, name: str, value: Any) -> None:
    raise FrozenInstanceError(f"cannot assign to field {name!r}")


def _frozen_del(self: Any, name: str) -> None:
    raise FrozenInstanceError(f"cannot delete field {name!r}")


def _getstate(self: Any) -> tuple[Any, ...]:
    return tuple(getattr(self, f.name) for f in self.__record_fields__)


def _setstate(self: Any, state: tuple[Any, ...]) -> None:
    # A frozen record is unpickled field by field, past its own __setattr__.
    for f, value in zip(self.__record_fields__, state, strict=True):
        object.__setattr__(self, f.name, value)
