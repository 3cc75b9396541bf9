"""The botocore releases this instrumentor supports."""

_instruments = ("botocore >= 1.34",)
