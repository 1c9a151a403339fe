"""gunicorn settings read from the working directory (the image's /app): the access log without query strings (a
callback's carries its signature; a search's, what was searched), through the one redaction step."""

from gunicorn.glogging import Logger

from scrm.platform.redaction import redact_query


class RedactingAccessLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        atoms["q"] = redact_query(f"?{atoms['q']}").lstrip("?") if atoms.get("q") else ""
        atoms["r"] = redact_query(atoms["r"])
        return atoms


logger_class = RedactingAccessLogger
