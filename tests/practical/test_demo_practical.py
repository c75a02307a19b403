"""flask demo load: a 低压电工作业 practical session open today that the demo examiners can score."""
import sqlalchemy as sa

from app.accounts.models import User
from app.demo import load_demo
from app.extensions import db
from app.practical import services
from app.practical.demo import DEMO_NOTE, load_practical_demo
from app.scheduling.models import ExamSession


def test_demo_practical_session_is_ready_to_score(app):
    with app.app_context():
        load_demo(n_people=40)
        session = db.session.scalar(sa.select(ExamSession).where(ExamSession.note == DEMO_NOTE))
        assert session is not None and session.kind == "practical" and session.state == "open"
        users = {u.username: u for u in db.session.scalars(sa.select(User).where(
            User.username.in_(["examiner1", "examiner2"])))}
        assert services.duty_of(session, users["examiner1"]) == "chief_examiner"
        queue = services.station_queue(session)
        assert len(queue) == 4
        for user in users.values():
            assert services.scoring_refusal(session, session.items[0].id, user) is None
        sheet = services.open_sheet(queue[0][0], actor=users["examiner2"])
        assert sheet.rubric.slug == "diya-diangong"
        assert load_practical_demo()["skipped"] == "演示实操场次已存在"
