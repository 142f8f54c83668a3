"""Flask extensions, created unbound here and bound to the app in ``create_app``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy.orm import Session

from closerhub.db import Model as DeclaredModel


class _SQLAlchemy(SQLAlchemy):
    """Flask-SQLAlchemy, with ``session`` typed as what the services take.

    ``db.session`` is a ``scoped_session``: a proxy that forwards every ``Session`` method to
    the request's session. Typed as that proxy, each view passing it to a service (which takes
    a ``Session``) was a type error; typed as ``Session``, the checker sees what the code uses.
    Its own methods (``remove``) stay reachable at runtime, as Flask-SQLAlchemy calls them.
    """

    session: Session  # type: ignore[assignment]

    def remove_session(self) -> None:
        """End this thread's session (``scoped_session.remove``), as a job does when it finishes."""
        self.session.remove()  # type: ignore[attr-defined]


db = _SQLAlchemy(model_class=DeclaredModel)

# The models' base class. Flask-SQLAlchemy builds ``db.Model`` at runtime on ``DeclaredModel``
# (adding ``query`` and table names); a type checker cannot see a base class made at runtime, so
# it is told the declarative base it is built on.
if TYPE_CHECKING:
    Model = DeclaredModel
else:
    Model = db.Model
migrate = Migrate(compare_type=True, render_as_batch=True)
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address)
babel = Babel()
