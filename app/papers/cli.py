"""flask papers load-blueprints | sample"""
from __future__ import annotations

from collections import Counter

import click
from flask.cli import AppGroup

from app.catalog.services import item_by_name
from app.core.errors import DomainError
from app.extensions import db
from app.papers import services
from app.questions.types import kind

papers_cli = AppGroup("papers", help="组卷方案与试卷")


@papers_cli.command("load-blueprints")
@click.option("--no-activate", is_flag=True, help="只保存，不启用")
def load_command(no_activate):
    """Load question_bank/blueprints/*.yaml; activate each new version after checking the bank."""
    try:
        lines = services.load_blueprint_files(activate=not no_activate)
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from None
    db.session.commit()
    for line in lines:
        click.echo(line)


@papers_cli.command("sample")
@click.argument("item_name")
@click.option("--seed", type=int, default=None)
def sample_command(item_name, seed):
    """Assemble one paper for ITEM (not kept) and print its composition."""
    item = item_by_name(item_name)
    blueprint = item and services.active_blueprint(item.id)
    if blueprint is None:
        raise click.ClickException(f"“{item_name}”没有启用的组卷方案")
    try:
        paper = services.assemble_paper(blueprint, seed=seed)
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    versions = [pq.version for pq in paper.questions]
    click.echo(f"{item.name} 第 {blueprint.version} 版方案，种子 {paper.seed}，共 {len(versions)} 题")
    click.echo("题型：" + "，".join(f"{kind(t).label} {n}" for t, n in Counter(v.qtype for v in versions).items()))
    click.echo("难度：" + "，".join(f"{d} 级 {n}" for d, n in sorted(Counter(v.difficulty for v in versions).items())))
    for top, n in Counter(v.knowledge_point.top for v in versions).most_common():
        click.echo(f"  {top}：{n}")
    db.session.rollback()
