"""`verachain contacts` run as an operator would: a separate process on real PostgreSQL, its
changes visible to the directory the API and the notifier use."""

from __future__ import annotations

import uuid
from pathlib import Path

from infra.contacts import open_directory
from tests.e2e.test_cli import cli_env, run_cli
from tests.support.database import TestDatabase


async def test_set_list_and_clear(test_database: TestDatabase, tmp_path: Path) -> None:
    env = cli_env(test_database, tmp_path)
    run = uuid.uuid4().hex[:8]
    ana, ben = f"ana-{run}", f"ben-{run}"

    done = run_cli("contacts", "set", ana, "Ana@Example.COM", env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"{ana}\tAna@example.com\n"
    assert run_cli("contacts", "set", ben, "ben@example.org", env=env, cwd=tmp_path).returncode == 0
    replaced = run_cli("contacts", "set", ana, "ana@example.net", env=env, cwd=tmp_path)
    assert replaced.stdout == f"{ana}\tana@example.net\n"

    listed = run_cli("contacts", "list", env=env, cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    mine = [line.split("\t") for line in listed.stdout.splitlines()]
    ours = [row[:2] for row in mine if row[0] in (ana, ben)]
    assert ours == [[ana, "ana@example.net"], [ben, "ben@example.org"]]  # by subject
    assert all(len(row) == 3 and row[2].endswith("+00:00") for row in mine)

    # What the CLI wrote is what the API and the notifier read.
    async with open_directory(test_database.settings()) as directory:
        stored = await directory.contact(ana)
    assert stored is not None
    assert stored.email == "ana@example.net"

    cleared = run_cli("contacts", "clear", ana, env=env, cwd=tmp_path)
    assert (cleared.returncode, cleared.stdout) == (0, f"cleared {ana}\n")
    again = run_cli("contacts", "clear", ana, env=env, cwd=tmp_path)
    assert (again.returncode, again.stdout) == (0, f"{ana} had no e-mail\n")
    after = run_cli("contacts", "list", env=env, cwd=tmp_path).stdout
    assert f"{ana}\t" not in after
    assert f"{ben}\tben@example.org\t" in after


def test_bad_input_is_one_line_and_exit_2(test_database: TestDatabase, tmp_path: Path) -> None:
    env = cli_env(test_database, tmp_path)
    subject = f"cy-{uuid.uuid4().hex[:8]}"
    first = run_cli("contacts", "set", subject, "cy@example.com", env=env, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    for args, says in [
        (("set", subject, "cy@localhost"), "email is not valid"),
        (("set", subject, "not an address"), "email is not valid"),
        (("set", subject, ""), "EMAIL is empty"),
        (("set", f" {subject}", "cy@example.com"), "subject is not valid"),
        (("clear", ""), "subject is not valid"),
        (("set", subject), "Missing argument"),
    ]:
        done = run_cli("contacts", *args, env=env, cwd=tmp_path)
        assert done.returncode == 2, (args, done.stderr)
        assert says in done.stderr, (args, done.stderr)
        assert "Traceback" not in done.stderr
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        assert len(lines) <= 3, done.stderr  # the error line (+ usage or the --verbose hint)
    listed = run_cli("contacts", "list", env=env, cwd=tmp_path).stdout
    assert f"{subject}\tcy@example.com\t" in listed  # nothing refused changed it
