"""The blocks an article body is made of: paragraphs (with links to uploaded documents),
headings, images with captions, quotes, tables (pasted from Word or Excel) and lists of
documents (the legal texts of "Văn bản pháp luật")."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.blocks.struct_block import StructBlockValidationError
from wagtail.contrib.table_block.blocks import TableBlock
from wagtail.documents.blocks import DocumentChooserBlock
from wagtail.images.blocks import ImageChooserBlock

PARAGRAPH_FEATURES = ["bold", "italic", "link", "document-link", "ol", "ul", "h3"]


def document_info(document: Any) -> str:
    """"PDF, 120 kB": the type and size shown beside every link to an uploaded document."""
    kind = document.file_extension.upper() or "?"
    size = document.get_file_size()
    return f"{kind}, {filesizeformat(size)}" if size else kind


class HeadingBlock(blocks.CharBlock):
    class Meta:
        icon = "title"
        label = _("Heading")
        template = "portal/blocks/heading.html"


class ImageWithCaption(blocks.StructBlock):
    image = ImageChooserBlock(label=_("Image"))
    alt = blocks.CharBlock(
        label=_("Text alternative"), max_length=250, required=False,
        help_text=_("What the image shows, for readers who cannot see it. Leave empty only "
                    "when the image is decoration."))
    decorative = blocks.BooleanBlock(
        label=_("Decoration only"), required=False,
        help_text=_("Tick only if the image adds nothing to the text (readers of the screen "
                    "skip it); otherwise describe it above."))
    caption = blocks.CharBlock(label=_("Caption"), max_length=300, required=False)

    class Meta:
        icon = "image"
        label = _("Image with caption")
        template = "portal/blocks/image.html"

    def clean(self, value: Any) -> Any:
        """A text alternative, or "decoration only" ticked: an image that carries meaning is
        never left without words (WCAG 1.1.1)."""
        value = super().clean(value)
        alt = (value.get("alt") or "").strip()
        if not alt and not value.get("decorative"):
            raise StructBlockValidationError(block_errors={"alt": ValidationError(_(
                "Describe what the image shows, or tick “Decoration only” if it adds "
                "nothing to the text."))})
        if alt and value.get("decorative"):
            raise StructBlockValidationError(block_errors={"decorative": ValidationError(_(
                "An image with a text alternative is not decoration: untick “Decoration "
                "only” or empty the text alternative."))})
        return value


class QuoteBlock(blocks.StructBlock):
    text = blocks.TextBlock(label=_("Quotation"), max_length=1500)
    source = blocks.CharBlock(label=_("Source"), max_length=200, required=False)

    class Meta:
        icon = "openquote"
        label = _("Quotation")
        template = "portal/blocks/quote.html"


class ArticleTable(TableBlock):
    """A table typed or pasted from Word or Excel into the grid; scrolls sideways on a phone."""

    class Meta:
        icon = "table"
        label = _("Table")
        template = "portal/blocks/table.html"


class DocumentListBlock(blocks.StructBlock):
    heading = blocks.CharBlock(label=_("Heading"), max_length=200, required=False)
    documents = blocks.ListBlock(DocumentChooserBlock(label=_("Document")),
                                 label=_("Documents"), min_num=1, max_num=100)

    class Meta:
        icon = "doc-full"
        label = _("List of documents")
        template = "portal/blocks/document_list.html"


class ArticleBody(blocks.StreamBlock):
    paragraph = blocks.RichTextBlock(features=PARAGRAPH_FEATURES, label=_("Paragraph"))
    heading = HeadingBlock()
    image = ImageWithCaption()
    quote = QuoteBlock()
    table = ArticleTable()
    documents = DocumentListBlock()
