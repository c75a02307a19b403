"""flask demo load: the catalogue and a small, realistic world to try the system with.

Everything here is synthetic: ID numbers and credit codes pass their checksums but
belong to nobody; names are drawn from common surnames and given names.
"""
from __future__ import annotations

import datetime as dt
import random

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from app.accounts import services as account_services
from app.accounts.models import Role, User
from app.catalog.models import CatalogItem
from app.catalog.services import load_catalog
from app.content.demo import load_content_demo
from app.core.errors import DomainError
from app.core.ids import credit_check_char, id_check_char, parse_id_number
from app.core.timeutil import local_today
from app.extensions import db
from app.papers.services import load_blueprint_files
from app.people.models import Employer, Person
from app.questions.bankfiles import BANK_DIR
from app.questions.services import import_bank
from app.scheduling.setup import load_site

demo_cli = AppGroup("demo", help="演示数据")

# Fuxin, Liaoning: districts and counties (GB/T 2260 codes).
REGIONS = ["210902", "210903", "210904", "210905", "210911", "210921", "210922"]
SURNAMES = list("王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋"
                "蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段")
SURNAMES += ["欧阳", "司马", "诸葛"]
GIVEN = list("伟芳娜秀敏静丽强磊军洋勇艳杰娟涛明超霞平刚桂英华玉兰红建国志海波辉鹏宇浩然俊峰"
             "晨欣怡博文佳琪梓涵子轩雨彤思远嘉诚一鸣晓东立新春燕凤琴德胜振宇庆丰永刚")
GIVEN += ["堃", "喆", "玥", "赟", "彧", "昇"]  # outside GB2312: they must print too
EMPLOYERS = [
    ("阜新市海州区宏达电力安装有限公司", "一般行业"),
    ("阜新恒泰机械制造有限公司", "一般行业"),
    ("阜新市细河区鑫源建筑劳务有限公司", "一般行业"),
    ("阜新北方焊接工程有限公司", "一般行业"),
    ("彰武县顺安物业服务有限公司", "一般行业"),
    ("阜新蒙古族自治县华泰石材有限公司", "金属非金属矿山（露天）"),
    ("阜新市清河门区金源铸造有限公司", "金属冶炼"),
    ("阜新盛达化工有限公司", "危险化学品生产单位"),
    ("阜新市太平区安达燃气经营有限公司", "危险化学品经营单位"),
    ("阜新高新区智联幕墙清洗服务有限公司", "一般行业"),
]
EDUCATION_WEIGHTS = [("初中", 30), ("高中", 25), ("中专", 12), ("技校", 8), ("大专", 15), ("本科", 9), ("小学", 1)]
STAFF = [
    ("admin", "系统管理员（演示）", "Guanli-2026!", {Role.ADMIN}),
    ("scheduler", "考务员 刘晓东", "Kaowu-2026!a", {Role.SCHEDULER}),
    ("proctor1", "监考员 王静", "Jiankao-2026!", {Role.PROCTOR}),
    ("proctor2", "监考员 赵立新", "Jiankao-2026!", {Role.PROCTOR}),
    ("examiner1", "考评员 孙振宇", "Kaoping-2026!", {Role.EXAMINER}),
    ("examiner2", "考评员 周海波", "Kaoping-2026!", {Role.EXAMINER}),
    ("trainer", "培训教师 陈思远", "Peixun-2026!", {Role.TRAINER}),
    ("editor", "宣传编辑 林佳琪", "Bianji-2026!", {Role.EDITOR}),
]
EMPLOYER_LOGIN = ("employer1", "宏达电力 安全员", "Qiye-2026!ab")
CANDIDATE_LOGIN = ("candidate1", "Kaosheng-2026")


def make_id_number(rng: random.Random, sex: str, today: dt.date) -> str:
    age = rng.randint(19, 54)
    birth = today - dt.timedelta(days=age * 365 + rng.randint(0, 364))
    seq = rng.randint(0, 49) * 2 + (1 if sex == "男" else 0)
    first17 = f"{rng.choice(REGIONS)}{birth:%Y%m%d}{rng.randint(0, 9)}{seq:02d}"
    return first17 + id_check_char(first17)


def make_credit_code(rng: random.Random) -> str:
    chars = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    first17 = "91" + rng.choice(REGIONS) + "".join(rng.choice(chars[:10]) for _ in range(8)) + rng.choice(chars)
    return first17 + credit_check_char(first17)


def _ensure_user(username, display, password, roles, **links) -> bool:
    if db.session.scalar(sa.select(User.id).where(User.username == username)):
        return False
    account_services.create_user(username, display, password, roles, **links)
    return True


def load_shipped_bank() -> tuple[object, list[str]]:
    """The shipped question bank and blueprints (activated). Idempotent."""
    result = import_bank(BANK_DIR, activate=True)
    if result.errors:
        raise DomainError("题库文件有错误，请先运行 flask questions check：" + str(result.errors[0]))
    return result, load_blueprint_files()


def load_demo(n_people: int = 300, seed: int = 2026, with_bank: bool = True) -> dict:
    """Load the catalogue, the shipped bank and blueprints, ~10 employers, ``n_people`` people and a
    login per role. Idempotent: what exists already is left alone. Returns counts of what was created."""
    rng = random.Random(seed)
    load_catalog()
    if with_bank:
        load_shipped_bank()
    load_site()
    load_content_demo()
    created = {"employers": 0, "people": 0, "users": 0}
    employers = []
    for name, industry in EMPLOYERS:
        code = make_credit_code(rng)
        emp = db.session.scalar(sa.select(Employer).where(Employer.name == name))
        if emp is None:
            emp = Employer(name=name, industry=industry, credit_code=code, address="辽宁省阜新市",
                           contact_name=rng.choice(SURNAMES) + "".join(rng.sample(GIVEN[:60], 2)),
                           contact_phone=f"139{rng.randint(10000000, 99999999)}")
            db.session.add(emp)
            created["employers"] += 1
        employers.append(emp)
    db.session.flush()
    today = local_today()
    existing = db.session.scalar(sa.select(sa.func.count()).select_from(Person))
    first_person = None
    for i in range(n_people):
        sex = "男" if rng.random() < 0.82 else "女"
        number = make_id_number(rng, sex, today)
        name = rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, rng.choice([1, 2, 2])))
        education = rng.choices([e for e, _w in EDUCATION_WEIGHTS], [w for _e, w in EDUCATION_WEIGHTS])[0]
        if existing >= n_people:
            continue
        if db.session.scalar(sa.select(Person.id).where(Person.id_number == number)):
            continue
        info = parse_id_number(number)
        person = Person(id_number=number, name=name, sex=info.sex, birth_date=info.birth_date,
                        phone=f"1{rng.choice('3578')}{rng.randint(100000000, 999999999)}", education=education,
                        employer_id=employers[i % len(employers)].id)
        db.session.add(person)
        created["people"] += 1
        if first_person is None and i % len(employers) == 0:
            first_person = person
    db.session.flush()
    for username, display, password, roles in STAFF:
        created["users"] += _ensure_user(username, display, password, roles)
    created["users"] += _ensure_user(EMPLOYER_LOGIN[0], EMPLOYER_LOGIN[1], EMPLOYER_LOGIN[2], {Role.EMPLOYER},
                                     employer_id=employers[0].id)
    candidate = first_person or db.session.scalar(
        sa.select(Person).where(Person.employer_id == employers[0].id).order_by(Person.id).limit(1))
    if candidate is not None:
        created["users"] += _ensure_user(CANDIDATE_LOGIN[0], candidate.name, CANDIDATE_LOGIN[1], {Role.CANDIDATE},
                                         person_id=candidate.id)
    db.session.flush()
    created["sessions"] = _demo_schedule(rng)
    from app.certificates.demo import load_demo_certificates
    load_demo_certificates()
    from app.practical.demo import load_practical_demo
    created["sessions"] += load_practical_demo()["sessions"]
    from app.training.demo import load_training_demo
    load_training_demo()
    return created


def _demo_schedule(rng: random.Random) -> int:
    """Upcoming sessions from the weekly templates (the rest of this year), examiners' qualifications,
    the first two weeks published with staff, and 60 staff of the first employers ready to register
    (health commitment and training hours on record). Skipped when sessions exist already."""
    import datetime as dt

    from app.scheduling import registration, sessions, setup
    from app.scheduling.models import ExaminerQualification, ExamSession, HealthCommitment, SessionState

    if db.session.scalar(sa.select(sa.func.count()).select_from(ExamSession)):
        return 0
    today = local_today()
    created, _ = sessions.plan_year(today.year, setup.load_templates())
    if today.month == 12:  # the next year's holidays may not be published yet: plan January as Mon–Fri
        created += sessions.plan_year(today.year + 1, setup.load_templates(), allow_unknown_holidays=True)[0]
    users = {u.username: u for u in db.session.scalars(sa.select(User))}
    practical = db.session.scalars(sa.select(CatalogItem).where(CatalogItem.practical_required)).all()
    for name in ("examiner1", "examiner2"):
        for item in practical:
            db.session.merge(ExaminerQualification(user_id=users[name].id, item_id=item.id))
    db.session.flush()
    for s in db.session.scalars(sa.select(ExamSession).where(ExamSession.day <= today + dt.timedelta(days=14))
                                .order_by(ExamSession.starts_at)):
        for name in (("proctor1", "proctor2") if s.kind == "theory" else ("examiner1", "examiner2")):
            try:
                sessions.assign_staff(s, users[name], "proctor" if s.kind == "theory" else "examiner")
            except DomainError:
                continue
        if len(s.staff) >= 2:
            sessions.set_state(s, SessionState.PUBLISHED)
    item = db.session.scalar(sa.select(CatalogItem).where(CatalogItem.name == "低压电工作业"))
    ready = db.session.scalars(sa.select(Person).order_by(Person.id).limit(60)).all()
    for person in ready:
        if db.session.get(HealthCommitment, person.id) is None:
            registration.record_health_commitment(person, today - dt.timedelta(days=rng.randint(5, 60)))
            end = today - dt.timedelta(days=rng.randint(3, 30))
            registration.record_training(person, item, end - dt.timedelta(days=45), end, float(item.training_hours_initial),
                                         provider="本基地初训班")
    return created


def demo_logins() -> list[tuple[str, str, str]]:
    rows = [(u, p, "、".join(r.label for r in sorted(roles))) for u, _d, p, roles in STAFF]
    rows.append((EMPLOYER_LOGIN[0], EMPLOYER_LOGIN[2], Role.EMPLOYER.label))
    rows.append((CANDIDATE_LOGIN[0], CANDIDATE_LOGIN[1], Role.CANDIDATE.label))
    return rows


def print_logins() -> None:
    click.echo("演示账号（仅供体验，请勿用于正式环境）：")
    for username, password, role in demo_logins():
        click.echo(f"  {role:<8} 用户名 {username:<12} 密码 {password}")


@demo_cli.command("logins")
def logins_command():
    """Print the demo logins."""
    print_logins()


@demo_cli.command("exam-day")
@click.option("--candidates", default=40, show_default=True, help="考生人数（每 40 人一个演练考场）")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False), required=True, help="写出 admission_no,id_number")
@click.option("--item", "item_name", default="低压电工作业", show_default=True)
def exam_day_command(candidates, csv_path, item_name):
    """A theory session open now with N checked-in candidates; their logins go to --csv."""
    from app.scheduling.fixtures import exam_day, write_csv
    if candidates < 1 or candidates > 5000:
        raise click.ClickException("考生人数应在 1–5000 之间")
    try:
        sessions, rows = exam_day(candidates, item_name)
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from None
    db.session.commit()
    write_csv(csv_path, rows)
    click.echo(f"已开设 {len(sessions)} 个演练场次，{len(rows)} 名考生已签到；准考证号和身份证号已写入 {csv_path}")


@demo_cli.command("load")
@click.option("--people", default=300, show_default=True, help="演示人员数量")
def load_command(people):
    """Load the demo world (idempotent) and print the demo logins."""
    created = load_demo(people)
    db.session.commit()
    click.echo(f"演示数据：新增单位 {created['employers']}，人员 {created['people']}，账号 {created['users']}，"
               f"考试场次 {created.get('sessions', 0)}")
    print_logins()
