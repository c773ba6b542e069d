"""`verachain models list | train`: the committed models, and rebuilding them."""

from __future__ import annotations

from pathlib import Path

import click

from infra.models.errors import ModelError, TrainingUnavailable
from infra.models.registry import MODELS_DIR, available_models, load_model


@click.group()
def models() -> None:
    """The ONNX models (registry, training)."""


@models.command("list")
@click.option("--dir", "directory", type=click.Path(path_type=Path), default=MODELS_DIR)
def list_models(directory: Path) -> None:
    """Load every model (hash and signature checked) and print name, version, sha256."""
    failed = False
    for name in available_models(directory):
        try:
            model = load_model(name, directory)
            click.echo(f"{model.name}\t{model.version}\t{model.sha256}")
        except ModelError as e:
            click.echo(f"{name}\t{e.code}\t{e}", err=True)
            failed = True
    if failed:
        raise SystemExit(1)


@models.command("train")
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    default=MODELS_DIR,
    show_default=True,
    help="Where to write the .onnx files and cards.",
)
def train(out: Path) -> None:
    """Rebuild every model from the synthetic generators (fixed seeds; needs the train extra)."""
    from infra.models.training import train_all

    try:
        cards = train_all(out, say=lambda line: click.echo(line, err=True))
    except TrainingUnavailable as e:
        error = click.ClickException(str(e))
        error.exit_code = 2
        raise error from e
    for card in cards:
        click.echo(f"{card.name}\t{card.version}\t{card.sha256}")
