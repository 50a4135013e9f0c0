"""Reading a SendGrid Inbound Parse post: the multipart fields decoded with the charsets it
declares, the reply's own text (HTML turned into text, quoted history and signature
stripped), the sender's authentication and the attachments."""

from __future__ import annotations

import codecs
import hashlib
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.parser import HeaderParser
from email.utils import parseaddr
from html.parser import HTMLParser
from typing import Any

from flask import Request, current_app
from mailparser_reply.parser import EmailMessage
from werkzeug.datastructures import Headers
from werkzeug.formparser import FormDataParser, MultiPartParser

from hub.accounts.models import normalize_email
from hub.errors import MalformedRequest

#: The fields whose charset the `charsets` field declares.
TEXT_FIELDS = ("headers", "to", "cc", "from", "subject", "text", "html")
#: SendGrid's whole message is at most 30 MB; its post is a little larger.
MAX_POST_BYTES = 40 * 1024 * 1024
#: An image the HTML shows by `cid:` and no larger than this is a signature's logo, not a document.
INLINE_IMAGE_MAX_BYTES = 100 * 1024
#: Mail clients label text with a charset its bytes outgrow: read it with the superset.
_CHARSET_SUPERSETS = {
    "gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "euc-cn": "gb18030",
    "big5": "big5hkscs", "shift_jis": "cp932", "shift-jis": "cp932", "sjis": "cp932", "x-sjis": "cp932",
    "euc-kr": "cp949", "ks_c_5601-1987": "cp949", "iso-8859-1": "cp1252", "latin1": "cp1252",
    "us-ascii": "utf-8", "ascii": "utf-8",
}


# --- the multipart post ---------------------------------------------------------------------


class _LosslessMultiPartParser(MultiPartParser):
    """Werkzeug decodes form fields as UTF-8 and replaces what is not; Latin-1 maps each byte
    to one character, so the field's bytes can be recovered and decoded with the charset
    SendGrid declares for it."""

    def get_part_charset(self, headers: Headers) -> str:
        return "latin-1"


class _LosslessFormDataParser(FormDataParser):
    def _parse_multipart(self, stream: Any, mimetype: str, content_length: int | None,
                         options: dict[str, str]) -> Any:
        parser = _LosslessMultiPartParser(stream_factory=self.stream_factory,
                                          max_form_memory_size=self.max_form_memory_size,
                                          max_form_parts=self.max_form_parts, cls=self.cls)
        boundary = options.get("boundary", "").encode("ascii")
        if not boundary:
            raise ValueError("Missing boundary")
        form, files = parser.parse(stream, boundary, content_length)
        return stream, form, files


def prepare_request(request: Request) -> None:
    """Before anything reads the form: parse it losslessly, with room for a whole email."""
    request.form_data_parser_class = _LosslessFormDataParser  # type: ignore[misc]
    request.max_content_length = max(MAX_POST_BYTES, current_app.config.get("MAX_CONTENT_LENGTH") or 0)
    request.max_form_memory_size = request.max_content_length


@dataclass
class Attachment:
    """One file of the email (`attachmentN`)."""

    field_name: str
    filename: str
    content_type: str
    content_id: str | None
    data: bytes

    def stream(self) -> io.BytesIO:
        """The bytes as a seekable stream (what the documents' staging reads)."""
        return io.BytesIO(self.data)


@dataclass
class InboundPost:
    """The fields of one Inbound Parse post, decoded."""

    headers: str
    to: str
    cc: str
    from_: str
    subject: str
    text: str
    html: str
    envelope: dict[str, Any]
    spf: str
    dkim: str
    attachments: list[Attachment] = field(default_factory=list)

    @property
    def sender(self) -> str:
        """The address of the `from` header, normalized ("" when there is none)."""
        return normalize_email(parseaddr(self.from_)[1])

    @property
    def envelope_sender(self) -> str:
        """The SMTP envelope's sender, normalized."""
        value = self.envelope.get("from")
        return normalize_email(parseaddr(value)[1]) if isinstance(value, str) else ""

    def recipients(self) -> list[str]:
        """Every recipient field: To, Cc and the envelope's `to`."""
        envelope_to = self.envelope.get("to")
        if isinstance(envelope_to, str):
            envelope_to = [envelope_to]
        extra = [value for value in envelope_to or [] if isinstance(value, str)]
        return [self.to, self.cc, *extra]

    def header(self, name: str) -> str | None:
        """One header of the raw `headers` field (the first when repeated)."""
        value = HeaderParser().parsestr(self.headers).get(name)
        return str(value).strip() if value is not None else None

    @property
    def message_id(self) -> str | None:
        """The Message-ID header, as the deduplication key (a digest when very long)."""
        value = " ".join((self.header("Message-ID") or "").split())
        if not value:
            return None
        return value if len(value) <= 255 else "sha256:" + hashlib.sha256(value.encode()).hexdigest()

    def is_automatic(self) -> bool:
        """An auto-reply (out of office, a mailing list's bounce): never posted, never answered."""
        auto = (self.header("Auto-Submitted") or "no").lower()
        precedence = (self.header("Precedence") or "").lower()
        return auto != "no" or precedence in ("bulk", "junk", "list", "auto_reply") or bool(
            self.header("X-Autoreply") or self.header("X-Autorespond"))

    def inline_content_ids(self) -> set[str]:
        """Content-IDs the HTML shows inline (`<img src="cid:...">`)."""
        return {match.strip("<>").lower() for match in re.findall(r"cid:([^\"'\s>)]+)", self.html, re.IGNORECASE)}


def decode_field(raw: str, charset: str | None) -> str:
    """A field's text from its bytes (`raw` holds them one per character), read with the
    declared charset or its superset; unknown charsets fall back to UTF-8."""
    data = raw.encode("latin-1")
    name = (charset or "utf-8").strip().strip('"').lower()
    name = _CHARSET_SUPERSETS.get(name, name)
    try:
        codecs.lookup(name)
    except LookupError:
        name = "utf-8"
    return data.decode(name, "replace")


def _json_field(form: Any, name: str, required: bool) -> Any:
    raw = form.get(name)
    if raw is None or raw == "":
        if required:
            raise MalformedRequest(f"The `{name}` field is missing.", fields={name: "is required"})
        return {}
    try:
        return json.loads(raw.encode("latin-1").decode("utf-8", "replace"))
    except ValueError:
        raise MalformedRequest(f"The `{name}` field is not valid JSON.", fields={name: "must be JSON"}) from None


def read_post(request: Request) -> InboundPost:
    """The post's fields decoded, or MalformedRequest (400): not multipart, no `envelope`,
    bad JSON in `envelope`, `charsets` or `attachment-info`."""
    if request.mimetype != "multipart/form-data":
        raise MalformedRequest("Inbound Parse posts multipart/form-data.")
    form = request.form
    envelope = _json_field(form, "envelope", required=True)
    charsets = _json_field(form, "charsets", required=False)
    info = _json_field(form, "attachment-info", required=False)
    if not isinstance(envelope, dict) or not isinstance(charsets, dict) or not isinstance(info, dict):
        raise MalformedRequest("`envelope`, `charsets` and `attachment-info` must be JSON objects.")
    values = {name: decode_field(form.get(name, ""), charsets.get(name) if isinstance(charsets.get(name), str)
                                 else None) for name in TEXT_FIELDS}
    post = InboundPost(
        headers=values["headers"], to=values["to"], cc=values["cc"], from_=values["from"],
        subject=" ".join(values["subject"].split()), text=values["text"], html=values["html"], envelope=envelope,
        spf=decode_field(form.get("SPF", ""), None).strip().lower(), dkim=decode_field(form.get("dkim", ""), None),
    )
    post.attachments = list(_attachments(request, info))
    return post


def _attachments(request: Request, info: dict[str, Any]) -> Iterator[Attachment]:
    names = sorted((name for name in request.files if re.fullmatch(r"attachment\d+", name)),
                   key=lambda name: int(name[len("attachment"):]))
    for name in names:
        upload = request.files[name]
        details = info.get(name) if isinstance(info.get(name), dict) else {}
        # Filenames travel in the Content-Disposition as UTF-8 (werkzeug read them as Latin-1 above).
        filename = str(details.get("filename") or details.get("name") or _utf8(upload.filename or "") or name)
        content_id = details.get("content-id")
        yield Attachment(
            field_name=name, filename=filename,
            content_type=str(details.get("type") or upload.mimetype or "application/octet-stream"),
            content_id=str(content_id).strip("<>").lower() if content_id else None,
            data=upload.read(),
        )


def _utf8(value: str) -> str:
    try:
        return value.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return value


# --- the sender's authentication ------------------------------------------------------------


def authenticated(post: InboundPost, address: str) -> bool:
    """SPF `pass`, or a DKIM `pass` for the address's domain (or a parent domain of it)."""
    if post.spf == "pass":
        return True
    domain = address.rpartition("@")[2].lower()
    for signer, result in re.findall(r"@([A-Za-z0-9.-]+)\s*:\s*([A-Za-z]+)", post.dkim):
        signer = signer.lower().rstrip(".")
        if result.lower() == "pass" and (domain == signer or domain.endswith("." + signer)):
            return True
    return False


# --- HTML to text ---------------------------------------------------------------------------

_BLOCKS = {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "hr", "pre",
           "section", "article", "header", "footer"}
_DROPPED = {"script", "style", "head", "title", "blockquote"}
#: Containers mail clients put the quoted history and signature in.
_QUOTE_MARKERS = ("gmail_quote", "gmail_signature", "moz-cite-prefix", "yahoo_quoted", "divrplyfwdmsg",
                  "appendonsend", "ms-outlook-mobile-signature", "applemailsignature", "protonmail_quote")
_VOID = {"br", "hr", "img", "meta", "link", "input", "col", "area", "base", "wbr", "source"}


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip_depth = 0
        self.stack: list[bool] = []  # per open element: does it start a skipped subtree?
        self.stopped = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.stopped:
            return
        marker = " ".join(f"{v or ''}" for k, v in attrs if k in ("class", "id", "name")).lower()
        if "divrplyfwdmsg" in marker or "appendonsend" in marker:
            self.stopped = True  # Outlook: everything after its reply header is the history
            return
        if tag in _BLOCKS:
            self.parts.append("\n")
        if tag in _VOID:
            return
        skipped = tag in _DROPPED or any(m in marker for m in _QUOTE_MARKERS)
        self.stack.append(skipped)
        if skipped:
            self.skip_depth += 1

    def handle_endtag(self, tag: str) -> None:
        if self.stopped or tag in _VOID or not self.stack:
            return
        if self.stack.pop():
            self.skip_depth -= 1
        if tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.stopped and self.skip_depth == 0:
            self.parts.append(re.sub(r"[ \t\r\n]+", " ", data))


def html_to_text(html: str) -> str:
    """The visible text of an HTML reply, without its quoted history and signature blocks."""
    extractor = _TextExtractor()
    extractor.feed(html)
    extractor.close()
    lines = [line.strip() for line in "".join(extractor.parts).replace("\xa0", " ").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


# --- the reply's own text -------------------------------------------------------------------

#: Lines where a quoted email starts, for clients and languages the library does not know.
_HISTORY_STARTS = [
    # QQ Mail, 163/126 Mail, Foxmail, Outlook (Chinese, Japanese, Spanish) separators.
    re.compile(r"^[-—_ ]{2,}\s*(原始邮件|原始郵件|原邮件|元のメッセージ|Mensaje original|Original Message|Original)\s*[-—_ ]{2,}\s*$",
               re.IGNORECASE | re.MULTILINE),
    # "在 2026-11-20 16:00:00，"Clearance Hub" <...> 写道：" (163), "... 于2026年11月20日周五 16:00写道：" (Gmail).
    re.compile(r"^.{0,300}(写道|寫道)\s*[:：]\s*$", re.MULTILINE),
    # Gmail in Spanish and English, its attribution line wrapped once.
    re.compile(r"^(El|On)\s[^\n]*(\n[^\n]*)?\s(escribió|wrote)\s*:\s*$", re.MULTILINE),
    # Gmail in Japanese: "2026年11月20日(金) 17:00 Clearance Hub <...>:".
    re.compile(r"^\d{4}年\d{1,2}月\d{1,2}日.{0,200}<[^>\n]+>\s*[:：]\s*$", re.MULTILINE),
    # Header blocks: From/De/发件人/差出人 followed within a few lines by Sent/Enviado/发送时间/送信日時.
    re.compile(r"^[* ]*(From|De|发件人|寄件者|差出人|送信者)\s*[:：][^\n]*\n(?:[^\n]*\n){0,3}?[* ]*"
               r"(Sent|Date|Enviado|Fecha|发送时间|日期|寄件日期|送信日時|日時)\s*[:：]", re.IGNORECASE | re.MULTILINE),
]
#: "Sent from my iPhone" and kin, in the languages agents write in.
_SENT_FROM = re.compile(
    r"^(Sent from (my|Mail|Outlook)|Get Outlook for|Enviado desde|Obtener Outlook para|发自我的|从我的.*发送|"
    r"来自.*(邮箱|邮件)|发自.*(邮箱|邮件|客户端)|iPhoneから送信|.*から送信$)", re.IGNORECASE)
_LANGUAGES = ["en", "es", "zh", "ja"]


def _cut_history(text: str) -> str:
    """The text before the first line where a quoted email starts."""
    starts = [match.start() for pattern in _HISTORY_STARTS if (match := pattern.search(text))]
    return text[:min(starts)] if starts else text


def reply_text(text: str) -> str:
    """The text the sender wrote: the quoted history and the signature are removed, with
    mail-parser-reply and the patterns above for the clients it does not know."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\xa0", " ")
    text = _cut_history(text)
    message = EmailMessage(text=text, languages=list(_LANGUAGES), keep_hyphen_lists=True).read()
    body = message.replies[0].body if message.replies else ""
    lines = body.split("\n")
    # Trailing quoted lines ("> ..."), rules ("_____", Outlook's separator) and "Sent from my ..."
    # lines are not the reply.
    while lines and (not lines[-1].strip() or lines[-1].lstrip().startswith(">")
                     or re.fullmatch(r"[-_=—*]{2,}", lines[-1].strip()) or _SENT_FROM.match(lines[-1].strip())):
        lines.pop()
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()

