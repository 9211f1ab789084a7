"""The blocks an article body is made of: paragraphs, headings, images with captions, quotes."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.images.blocks import ImageChooserBlock

PARAGRAPH_FEATURES = ["bold", "italic", "link", "ol", "ul", "h3"]


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
    caption = blocks.CharBlock(label=_("Caption"), max_length=300, required=False)

    class Meta:
        icon = "image"
        label = _("Image with caption")
        template = "portal/blocks/image.html"


class QuoteBlock(blocks.StructBlock):
    text = blocks.TextBlock(label=_("Quotation"), max_length=1500)
    source = blocks.CharBlock(label=_("Source"), max_length=200, required=False)

    class Meta:
        icon = "openquote"
        label = _("Quotation")
        template = "portal/blocks/quote.html"


class ArticleBody(blocks.StreamBlock):
    paragraph = blocks.RichTextBlock(features=PARAGRAPH_FEATURES, label=_("Paragraph"))
    heading = HeadingBlock()
    image = ImageWithCaption()
    quote = QuoteBlock()
