"""Meta WhatsApp Cloud API: ``POST {base}/{phone_number_id}/messages`` with a Bearer token and a template.

Body: ``{messaging_product: "whatsapp", recipient_type: "individual", to: "91…", type: "template",
template: {name, language: {code}, components: [{type: "body", parameters: [{type: "text", text}]}]}}``;
authentication templates (the OTP) repeat the code in a copy-code URL button. The answer's
``messages[0].id`` (``wamid…``) is what the status webhooks refer to.
"""

from __future__ import annotations

from clinicops.config import Settings
from clinicops.kit import phones
from clinicops.messaging.providers import OutgoingMessage, SendResult
from clinicops.messaging.providers.gallabox import _language, _template_map
from clinicops.messaging.providers.http import post_json
from clinicops.messaging.templates import provider_template


class MetaProvider:
    name = "meta"

    def __init__(self, settings: Settings):
        self.settings = settings

    def request_body(self, message: OutgoingMessage) -> dict:
        spec = provider_template(message.template, default_language=_language(self.settings),
                                 overrides=_template_map(self.settings))
        parameters = [{"type": "text", "text": str(message.params.get(param, ""))} for _, param in spec.params]
        components: list[dict] = [{"type": "body", "parameters": parameters}]
        if spec.code_button and spec.code_button in message.params:
            components.append({"type": "button", "sub_type": "url", "index": "0",
                               "parameters": [{"type": "text", "text": str(message.params[spec.code_button])}]})
        return {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": phones.wire(message.recipient),
            "type": "template",
            "template": {"name": spec.name, "language": {"code": spec.language}, "components": components},
        }

    async def send(self, message: OutgoingMessage) -> SendResult:
        url = f"{self.settings.meta_base_url.rstrip('/')}/{self.settings.meta_phone_number_id}/messages"
        headers = {"Authorization": f"Bearer {self.settings.meta_access_token}",
                   "Content-Type": "application/json"}
        data = await post_json(url, body=self.request_body(message), headers=headers,
                               timeout_s=self.settings.outbound_timeout_s, provider=self.name)
        messages = data.get("messages") or []
        message_id = messages[0].get("id") if messages and isinstance(messages[0], dict) else None
        return SendResult(provider=self.name, provider_message_id=message_id)
