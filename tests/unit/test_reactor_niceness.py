"""VERACHAIN_REACTOR_NICENESS: where the reactor shares cores with the read path."""

from __future__ import annotations

import pytest

from infra.settings import Settings, SettingsError


def test_the_reactor_runs_at_normal_priority_unless_told() -> None:
    assert Settings.from_env({}).reactor_niceness == 0
    assert Settings.from_env({"VERACHAIN_REACTOR_NICENESS": "10"}).reactor_niceness == 10


@pytest.mark.parametrize("raw", ["-1", "20", "ten"])
def test_a_niceness_outside_0_to_19_is_refused(raw: str) -> None:
    with pytest.raises(SettingsError, match="VERACHAIN_REACTOR_NICENESS"):
        Settings.from_env({"VERACHAIN_REACTOR_NICENESS": raw})
