"""gunicorn settings read from the working directory (the image's /app): the access log without the query string of
a callback, which carries its signature (see scrm/logfilters.py)."""

import re

from gunicorn.glogging import Logger

_HOOK_QUERY = re.compile(r"(/hooks/[^\s?]*)\?\S*")


class HookQuerySafeLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        if (atoms.get("U") or "").startswith("/hooks/"):
            atoms["q"] = ""
            atoms["r"] = _HOOK_QUERY.sub(r"\1", atoms["r"])
        return atoms


logger_class = HookQuerySafeLogger
