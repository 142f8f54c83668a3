"""Flask extensions, created unbound here and bound to the app in ``create_app``."""

from __future__ import annotations

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy.orm import Session

from closerhub.db import Model


class _SQLAlchemy(SQLAlchemy):
    """Flask-SQLAlchemy, with ``session`` typed as what the services take.

    ``db.session`` is a ``scoped_session``: a proxy that forwards every ``Session`` method to
    the request's session. Typed as that proxy, each view passing it to a service (which takes
    a ``Session``) was a type error; typed as ``Session``, the checker sees what the code uses.
    Its own methods (``remove``) stay reachable at runtime, as Flask-SQLAlchemy calls them.
    """

    session: Session  # type: ignore[assignment]


db = _SQLAlchemy(model_class=Model)
migrate = Migrate(compare_type=True, render_as_batch=True)
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address)
babel = Babel()
