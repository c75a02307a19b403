"""Events other domains react to, so that scheduling need not import them (imports point one way)."""
from blinker import Namespace

_signals = Namespace()

#: A candidate was checked in at the door: ``checked_in.send(registration, session=…)``. Receivers run
#: inside the check-in's transaction and must not commit; one that fails must not block the check-in.
checked_in = _signals.signal("checked-in")
