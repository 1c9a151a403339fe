"""The shape every parser has: built on a binary stream, iterated for `Line`s, with the layout it found and how far
into the file it is. A parser raises `StatementRefused` (with the line) for a file it cannot import whole; its
summary check runs after the last detail row, so a caller that writes as it reads must do so in one transaction."""

from decimal import ROUND_HALF_UP

from settlement.statements.reading import CENT, FEE_UNIT


class StatementParser:
    layout = ""
    layout_label = ""

    def __init__(self, stream, *, channel, size=0):
        self.stream, self.channel, self.size = stream, channel, size
        self.layout = ""

    def __iter__(self):
        raise NotImplementedError

    def copy_rows(self, tally):
        """The lines as COPY rows, each counted by `tally` (settlement/statements/copying.py)."""
        for line in self:
            yield tally.line(line)

    def bytes_read(self):
        """How far into the file (in bytes of the file as stored) the parser is."""
        return 0


def net(gross, fee):
    return (gross - fee).quantize(CENT, rounding=ROUND_HALF_UP)


def same(stated, computed):
    """A summary figure agrees with the details' sum at the summary's own precision (WeChat Pay states fees with
    five decimals or with two)."""
    exponent = stated.as_tuple().exponent
    places = FEE_UNIT if exponent <= -5 else CENT if exponent <= -2 else type(stated)(1).scaleb(exponent)
    return computed.quantize(places, rounding=ROUND_HALF_UP) == stated
