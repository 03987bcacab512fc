"""The documentation keeps up with the code: every hook, setting and command is documented."""

from __future__ import annotations

import inspect
import re

import click
import msgspec

import core.hookspecs
from core.cli import main
from core.settings import ENV_PREFIX, ROOT, Settings, reference

README = ROOT / "README.md"
PLUGINS_DOC = ROOT / "docs" / "plugins.md"


def hookspecs() -> dict[str, object]:
    """The functions of core/hookspecs.py marked with the hookspec marker."""
    return {
        name: func
        for name, func in inspect.getmembers(core.hookspecs, inspect.isfunction)
        if hasattr(func, "participa_spec")
    }


def hooks_section() -> str:
    """The '## Hooks' section of docs/plugins.md, up to the next second-level heading."""
    text = PLUGINS_DOC.read_text()
    start = text.index("\n## Hooks\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def configuration_table() -> dict[str, str]:
    """Rows of the README's configuration table, by environment variable."""
    rows = {}
    for line in README.read_text().splitlines():
        match = re.match(rf"^\| `({ENV_PREFIX}[A-Z0-9_]+)` \|", line)
        if match:
            rows[match.group(1)] = line
    return rows


def core_commands() -> list[str]:
    """'participa db upgrade' and the like: core's own commands and groups, walked with click.

    ``Group.commands`` is read directly rather than through ``list_commands`` so that walking
    the CLI does not load plugins (and their commands, which are not core's to document).
    """
    found = []

    def walk(group: click.Group, prefix: str) -> None:
        for name, command in sorted(group.commands.items()):
            if command.callback is not None and command.callback.__module__ != "core.cli":
                continue
            found.append(f"{prefix} {name}")
            if isinstance(command, click.Group):
                walk(command, f"{prefix} {name}")

    walk(main, "participa")
    return found


def test_there_are_hooks_to_document():
    assert len(hookspecs()) >= 10


def test_every_hook_has_a_docstring():
    missing = [name for name, func in hookspecs().items() if not (func.__doc__ or "").strip()]
    assert not missing, f"hooks without a docstring in core/hookspecs.py: {missing}"


def test_every_hook_has_a_section_in_the_plugin_guide():
    text = PLUGINS_DOC.read_text()
    missing = [name for name in hookspecs() if f"\n### `{name}`\n" not in text]
    assert not missing, f'hooks without a "### `name`" section in docs/plugins.md: {missing}'


def test_the_plugin_guide_documents_no_hook_that_does_not_exist():
    documented = re.findall(r"^### `(\w+)`$", hooks_section(), re.MULTILINE)
    stale = sorted(set(documented) - set(hookspecs()))
    assert not stale, f"docs/plugins.md documents hooks that core/hookspecs.py no longer has: {stale}"


def test_every_setting_is_in_the_readme_configuration_table():
    table = configuration_table()
    names = [ENV_PREFIX + field.name.upper() for field in msgspec.structs.fields(Settings)]
    missing = [name for name in names if name not in table]
    assert not missing, (
        f"settings missing from the README's configuration table: {missing}; "
        "regenerate the table with the command shown above it"
    )


def test_the_readme_shows_the_current_defaults():
    table = configuration_table()
    stale = [env for env, default, _ in reference() if env in table and f"| `{default}` |" not in table[env]]
    assert not stale, f"README configuration rows with an outdated default: {stale}; regenerate the table"


def test_every_command_is_in_the_readme():
    text = README.read_text()
    commands = core_commands()
    assert "participa db upgrade" in commands  # the walk did reach the subcommands
    missing = [command for command in commands if command not in text]
    assert not missing, f"participa commands missing from the README: {missing}"


def test_the_readme_quick_start_has_the_two_commands():
    text = README.read_text()
    for command in ("make demo", "make test"):
        assert f"```sh\n{command}\n```" in text, f"the README's quick start lacks `{command}`"
