//! Element kinds: the HTML tag names the extractor distinguishes.

/// The element kinds the extractor cares about; everything else is `Other`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tag {
    Html,
    Head,
    Body,
    Title,
    Meta,
    Link,
    Script,
    Style,
    Noscript,
    Template,
    Svg,
    Iframe,
    Nav,
    Aside,
    Footer,
    Header,
    Form,
    Button,
    Input,
    Select,
    Textarea,
    Label,
    Article,
    Main,
    Section,
    Div,
    P,
    H1,
    H2,
    H3,
    H4,
    H5,
    H6,
    Li,
    Ul,
    Ol,
    Dl,
    Dt,
    Dd,
    Blockquote,
    Pre,
    Table,
    Tr,
    Td,
    Th,
    Figure,
    Figcaption,
    Br,
    A,
    Time,
    Img,
    Address,
    Media,
    Hr,
    Other,
}

impl Tag {
    pub(crate) fn from_name(n: &str) -> Tag {
        use Tag::*;
        match n {
            "html" => Html,
            "head" => Head,
            "body" => Body,
            "title" => Title,
            "meta" => Meta,
            "link" => Link,
            "script" => Script,
            "style" => Style,
            "noscript" => Noscript,
            "template" => Template,
            "svg" | "math" => Svg,
            "iframe" => Iframe,
            "nav" => Nav,
            "aside" => Aside,
            "footer" => Footer,
            "header" => Header,
            "form" => Form,
            "button" => Button,
            "input" => Input,
            "select" | "option" | "datalist" => Select,
            "textarea" => Textarea,
            "label" => Label,
            "article" => Article,
            "main" => Main,
            "section" => Section,
            "div" | "center" => Div,
            "p" => P,
            "h1" => H1,
            "h2" => H2,
            "h3" => H3,
            "h4" => H4,
            "h5" => H5,
            "h6" => H6,
            "li" => Li,
            "ul" => Ul,
            "ol" => Ol,
            "dl" => Dl,
            "dt" => Dt,
            "dd" => Dd,
            "blockquote" => Blockquote,
            "pre" => Pre,
            "table" => Table,
            "tr" => Tr,
            "td" => Td,
            "th" => Th,
            "figure" => Figure,
            "figcaption" => Figcaption,
            "br" => Br,
            "a" => A,
            "time" => Time,
            "img" => Img,
            "address" => Address,
            "hr" => Hr,
            "video" | "audio" | "canvas" | "object" | "embed" | "picture" | "dialog" | "menu" => Media,
            _ => Other,
        }
    }

    /// Elements that start a new paragraph in the rendered text.
    pub(crate) fn is_block(self) -> bool {
        use Tag::*;
        matches!(
            self,
            Article
                | Main
                | Section
                | Div
                | P
                | H1
                | H2
                | H3
                | H4
                | H5
                | H6
                | Li
                | Ul
                | Ol
                | Dl
                | Dt
                | Dd
                | Blockquote
                | Pre
                | Table
                | Tr
                | Td
                | Th
                | Figure
                | Header
                | Footer
                | Nav
                | Aside
                | Form
                | Address
                | Hr
                | Body
        )
    }

    pub(crate) fn is_heading(self) -> bool {
        matches!(self, Tag::H1 | Tag::H2 | Tag::H3 | Tag::H4 | Tag::H5 | Tag::H6)
    }

    /// Never part of the article text, whatever their attributes say.
    pub(crate) fn always_junk(self) -> bool {
        use Tag::*;
        matches!(
            self,
            Head | Title
                | Meta
                | Link
                | Script
                | Style
                | Noscript
                | Template
                | Svg
                | Iframe
                | Nav
                | Aside
                | Footer
                | Button
                | Input
                | Select
                | Textarea
                | Label
                | Figcaption
                | Media
                | Address
        )
    }
}
