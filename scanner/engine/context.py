"""Where a secret sits decides how to fix it: a fix that fits the place, after GitHub's guidance.

``classify(path, line, secret)`` names the place (``details.context`` of every finding);
``fix_for(context, path, base, advice=...)`` writes the one-line fix; the engine calls both
for every finding before making it. The remediation plan
reuses ``classify`` and ``fix_for`` (see docs/hygiene.md). Everything here is string
tests on the path and one line: no I/O, cheap enough for every finding.
"""
from __future__ import annotations

import re

CONTEXTS = ("dotenv", "credential-file", "ci-workflow", "command-line", "url", "container-build",
            "source-code", "config", "documentation", "other")

_HISTORY = {".bash_history", ".zsh_history", ".sh_history", ".history", "fish_history", ".python_history",
            ".psql_history", ".mysql_history", "ConsoleHost_history.txt"}
_SHELL_EXT = {"sh", "bash", "zsh", "ksh", "fish", "ps1", "psm1", "bat", "cmd", "command"}
_CODE_EXT = {"py", "pyw", "js", "mjs", "cjs", "jsx", "ts", "tsx", "go", "java", "kt", "kts", "scala", "groovy",
             "rb", "php", "cs", "fs", "vb", "c", "h", "cc", "cpp", "cxx", "hpp", "m", "mm", "swift", "rs", "dart",
             "lua", "pl", "pm", "r", "jl", "ex", "exs", "erl", "clj", "hs", "ml", "vue", "svelte", "ipynb", "sql"}
_CONFIG_EXT = {"yml", "yaml", "json", "jsonc", "json5", "toml", "ini", "cfg", "conf", "config", "cnf",
               "properties", "xml", "plist", "tfvars", "tf", "hcl", "env", "settings", "props"}
_DOC_EXT = {"md", "markdown", "rst", "txt", "adoc", "asciidoc", "org", "tex", "html", "htm"}
# Prose formats: a keyword-anchored value in them is nearly always an example of a request or a
# response (awscli's examples, a tutorial's config). Plain text is not among them: notes.txt and
# passwords.txt are where real credentials get written down.
_PROSE_EXT = {"md", "markdown", "rst", "adoc", "asciidoc", "org", "tex"}
_PROSE_NAMES = {"METADATA", "PKG-INFO"}

# (test on the '/'-separated path, CI name, where its secrets go)
_CI = (
    (re.compile(r"(?:^|/)\.github/(?:workflows/[^/]+|actions/.+/action)\.ya?ml$"), "github", None),
    (re.compile(r"(?:^|/)\.gitlab-ci\.ya?ml$|(?:^|/)\.gitlab/ci/.+\.ya?ml$"), "gitlab",
     "a masked, protected CI/CD variable (Settings > CI/CD > Variables)"),
    (re.compile(r"(?:^|/)\.circleci/config\.ya?ml$"), "circleci", "a project environment variable or a context"),
    (re.compile(r"(?:^|/)Jenkinsfile[^/]*$|\.jenkinsfile$"), "jenkins",
     "the Jenkins credentials store, bound with withCredentials()"),
    (re.compile(r"(?:^|/)azure-pipelines[^/]*\.ya?ml$"), "azure",
     "a secret pipeline variable or a variable group linked to Azure Key Vault"),
    (re.compile(r"(?:^|/)bitbucket-pipelines\.ya?ml$"), "bitbucket", "a secured repository or deployment variable"),
    (re.compile(r"(?:^|/)\.travis\.ya?ml$"), "travis", "an encrypted variable (travis encrypt) or repository settings"),
    (re.compile(r"(?:^|/)(?:\.drone\.ya?ml|\.woodpecker\.ya?ml|\.woodpecker/[^/]+\.ya?ml|appveyor\.ya?ml|"
                r"\.buildkite/pipeline[^/]*\.ya?ml|cloudbuild\.ya?ml|buildspec\.ya?ml|\.semaphore/[^/]+\.ya?ml|"
                r"codemagic\.ya?ml|bitrise\.ya?ml|\.tekton/[^/]+\.ya?ml)$"), "other",
     "the CI system's encrypted secrets"),
)
_COMMAND = re.compile(
    r"(?:^|[\s;&|(`\"'$]|^:\s*\d+:\d+;)(?:sudo\s+)?(?:curl|wget|http|https|git|gh|hub|docker|podman|nerdctl|helm|"
    r"npm|yarn|pnpm|twine|pip|pip3|kubectl|az|aws|gcloud|ssh|sshpass|scp|rsync|mysql|psql|mongo|mongosh|"
    r"redis-cli|ftp|lftp|svn|nuget|dotnet|mvn|gradle|op|vault|terraform|heroku|netlify|vercel|firebase)"
    r"\s+[-\w]")
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]{1,20}://[^\s\"'`<>]+")

_FIX = {
    "dotenv": "Remove the .env file from the repository (git rm --cached), add it to .gitignore, and encrypt it "
              "(sops, dotenvx, git-crypt) if it must be shared.",
    "credential-file": "Remove this credential file from the repository (git rm --cached) and add it to "
                       ".gitignore; it belongs in your home directory or a secret manager.",
    "command-line": "Keep credentials off command lines (they land in shell history and process lists): use a "
                    "credential helper, gh auth login, --password-stdin, or an environment variable read at run time.",
    "url": "Take the credential out of the URL: use a git credential helper or gh auth login, or an environment "
           "variable read at run time.",
    "container-build": "Do not bake it into the image: pass it with a BuildKit secret mount "
                       "(RUN --mount=type=secret) or as an environment variable at run time.",
    "source-code": "Do not hardcode it: read the credential from the environment or a secret manager at run time.",
    "config": "Replace the literal with a reference resolved at deploy time (an environment variable, a secret "
              "manager, or encrypted credentials).",
    "documentation": "Replace it with an obvious placeholder such as <YOUR_TOKEN>; documentation is copied and indexed.",
}
_GITHUB_CI = ("Use the built-in GITHUB_TOKEN with the minimum permissions: block, or an encrypted secret "
              "(${{ secrets.NAME }}) for anything else, instead of a literal.")

def _split(path: str) -> tuple[str, str, str]:
    norm = path.replace("\\", "/")
    name = norm.rpartition("/")[2]
    ext = name.rpartition(".")[2].lower() if "." in name.lstrip(".") else ""
    return norm, name, ext


def is_prose(path: str) -> bool:
    """Whether the file is documentation source (Markdown, reStructuredText, AsciiDoc, ...), or a
    Python package's README as its metadata carries it (``METADATA``, ``PKG-INFO``)."""
    _, name, ext = _split(path)
    return ext in _PROSE_EXT or name in _PROSE_NAMES


def ci_system(path: str) -> str | None:
    """``github``, ``gitlab``, ... when the path is a CI pipeline definition."""
    norm = path.replace("\\", "/")
    return next((name for rx, name, _ in _CI if rx.search(norm)), None)


def _in_url(line: str, secret: str) -> bool:
    for m in _URL.finditer(line):
        url = m.group()
        if secret and secret in url:
            return True
        if not secret and "@" in url.partition("://")[2].split("/")[0]:
            return True
    return False


def classify(path: str, line: str = "", secret: str = "") -> str:
    """The kind of place a secret sits in, one of ``CONTEXTS``.

    The file decides first (a ``.env``, a credential store, a CI workflow, a shell history),
    then the line (a URL holding the secret, a command), then the file's type.
    """
    from scanner.engine import credfiles

    by_name = credfiles.context_of(path)
    if by_name:
        return by_name
    norm, name, ext = _split(path)
    if ci_system(norm):
        return "ci-workflow"
    if name in _HISTORY:
        return "command-line"
    if line and _in_url(line, secret):
        return "url"
    if ext in _SHELL_EXT or (line and _COMMAND.search(line)):
        return "command-line"
    if name == "Dockerfile" or name.startswith("Dockerfile.") or ext in ("dockerfile", "containerfile") \
            or name == "Containerfile":
        return "container-build"
    if ext in _CODE_EXT:
        return "source-code"
    if ext in _CONFIG_EXT or name in ("Makefile",):
        return "config"
    if ext in _DOC_EXT:
        return "documentation"
    return "other"


def fix_for(context: str, path: str, base: str, *, advice: str = "", generic: bool = False) -> str:
    """The one-line fix: what to do in this place, then the rule's own step (revoke, rotate),
    then the rule's ``advice`` (which kind of credential fits better). A generic rule's own
    remediation is itself advice on where to keep the value, so the place's advice replaces it."""
    where = _FIX.get(context, "")
    if context == "ci-workflow":
        system = ci_system(path)
        where = _GITHUB_CI if system == "github" else (
            f"Store it in {next(h for _, n, h in _CI if n == system)} and reference that instead of a literal.")
    if generic and where:
        base = "Then rotate the credential."
    return " ".join(p for p in (where, base, advice) if p)
