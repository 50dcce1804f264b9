"""Named message templates: the text sent to people, from parameters."""

from __future__ import annotations

from string import Formatter

TEMPLATES: dict[str, str] = {
    "otp": "{otp} is your verification code for {organization}. It expires in {minutes} minutes. "
           "Do not share it with anyone.",
}


class UnknownTemplate(KeyError):
    pass


def required_params(template: str) -> set[str]:
    if template not in TEMPLATES:
        raise UnknownTemplate(template)
    return {name for _, name, _, _ in Formatter().parse(TEMPLATES[template]) if name}


def render(template: str, params: dict) -> str:
    missing = required_params(template) - set(params)
    if missing:
        raise ValueError(f"template {template!r} needs {sorted(missing)}")
    return TEMPLATES[template].format(**{k: ("" if v is None else v) for k, v in params.items()})
