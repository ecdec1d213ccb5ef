"""scanner/records.py: the records every layer passes around behave as dataclasses do where
this code base relies on it, and a secret held in one is not shown by its repr."""
from __future__ import annotations

import pickle

import pytest

from scanner.records import FrozenInstanceError, asdict, field, fields, record, replace


@record(frozen=True, slots=True)
class Held:
    name: str
    secret: str = field(repr=False)
    count: int = 0
    notes: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.count:
            object.__setattr__(self, "count", len(self.secret))


@record(frozen=True, slots=True)
class Child(Held):
    def __post_init__(self) -> None:
        if self.count < 0:
            raise ValueError("negative")


@record(frozen=True)
class Pair:
    left: int
    right: str = ""


@record
class Loose:
    value: int
    items: list = field(default_factory=list)
    label: str = "x"
    cached: object = field(default=None, repr=False, compare=False)


def test_init_defaults_factories_and_post_init():
    held = Held("n", "hunter2-not-real")
    assert (held.name, held.count, held.notes) == ("n", 16, {})
    assert Held("n", "s").notes is not Held("n", "s").notes
    assert Loose(1).items == [] and Loose.label == "x"
    with pytest.raises(TypeError):
        Held("only-name")   # type: ignore[call-arg]


def test_repr_hides_fields_marked_so():
    held = Held("n", "hunter2-not-real")
    assert "hunter2" not in repr(held) and repr(held).startswith("Held(name='n'")
    assert "cached" not in repr(Loose(1, cached=object()))


def test_frozen_records_refuse_assignment_and_hash_by_value():
    held = Held("n", "s", 3)
    for name in ("name", "count", "other"):
        with pytest.raises(FrozenInstanceError):
            setattr(held, name, 1)
    with pytest.raises(FrozenInstanceError):
        del held.name
    assert isinstance(FrozenInstanceError(), AttributeError)
    assert {Pair(1, "a"): 1}[Pair(1, "a")] == 1 and hash(Pair(1)) != hash(Pair(2))
    with pytest.raises(FrozenInstanceError):
        Pair(1).left = 2   # type: ignore[misc]
    assert not hasattr(held, "__dict__")


def test_equality_compares_fields_of_the_same_class_only():
    assert Loose(1, cached=1) == Loose(1, cached=2)
    assert Loose(1) != Loose(2)
    assert Held("n", "s", 3) != Child("n", "s", 3)
    with pytest.raises(TypeError):
        hash(Loose(1))


def test_replace_runs_post_init_and_subclasses_inherit_fields():
    child = Child("n", "s", 2)
    assert [f.name for f in fields(Child)] == ["name", "secret", "count", "notes"]
    assert replace(child, count=5) == Child("n", "s", 5)
    with pytest.raises(ValueError):
        replace(child, count=-1)
    with pytest.raises(FrozenInstanceError):
        child.count = 1   # type: ignore[misc]


def test_pickle_round_trips_frozen_slotted_and_plain_records():
    """Findings cross to worker processes and Dask workers pickled."""
    for obj in (Held("n", "s", 3, {"a": [1]}), Child("n", "s", 4), Pair(1, "b"), Loose(1, [2], "y")):
        assert pickle.loads(pickle.dumps(obj)) == obj


def test_asdict_copies_nested_values():
    held = Held("n", "s", 3, {"a": [1]})
    out = asdict(held)
    assert out == {"name": "n", "secret": "s", "count": 3, "notes": {"a": [1]}}
    out["notes"]["a"].append(2)
    assert held.notes == {"a": [1]}


def test_declaration_errors_are_caught_when_the_class_is_made():
    with pytest.raises(TypeError):
        @record
        class Bad:
            a: int = 0
            b: int

    with pytest.raises(ValueError):
        @record
        class Shared:
            a: list = []   # noqa: RUF012
