//! One self-contained HTML page: inline CSS and inline SVG, no script, no network request.

/// A titled part of the page; `html` is trusted markup made by this crate's helpers.
pub struct Section {
    pub id: String,
    pub title: String,
    pub html: String,
}

pub struct Page {
    pub title: String,
    pub subtitle: String,
    pub sections: Vec<Section>,
}

/// Escapes text for HTML.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A two-or-more-column table with a header row; cells are escaped.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut s = String::from("<table><thead><tr>");
    for h in header {
        s.push_str(&format!("<th>{}</th>", esc(h)));
    }
    s.push_str("</tr></thead><tbody>");
    for r in rows {
        s.push_str("<tr>");
        for c in r {
            s.push_str(&format!("<td>{}</td>", esc(c)));
        }
        s.push_str("</tr>");
    }
    s.push_str("</tbody></table>");
    s
}

/// Preformatted text (a config file).
pub fn pre(text: &str) -> String {
    format!("<pre>{}</pre>", esc(text))
}

/// A figure: inline SVG (as made by `plots`) with a caption.
pub fn figure(svg: &str, caption: &str) -> String {
    // Drop the XML prolog if any, keep the <svg> element.
    // Inline SVG in HTML needs no namespace: dropping it keeps the page free of any URL.
    let start = svg.find("<svg").unwrap_or(0);
    let body = svg[start..].replacen(" xmlns=\"http://www.w3.org/2000/svg\"", "", 1);
    format!(
        "<figure>{body}<figcaption>{}</figcaption></figure>",
        esc(caption)
    )
}

pub fn paragraph(text: &str) -> String {
    format!("<p>{}</p>", esc(text))
}

const CSS: &str = "body{font-family:system-ui,sans-serif;max-width:900px;margin:2em auto;color:#222;padding:0 1em}\
h1{margin-bottom:0}.sub{color:#666;margin-top:.3em}nav a{margin-right:1em}\
section{border-top:1px solid #ddd;margin-top:2em}table{border-collapse:collapse;margin:.5em 0}\
th,td{border:1px solid #ccc;padding:.25em .6em;text-align:left;font-variant-numeric:tabular-nums}\
th{background:#f4f4f4}pre{background:#f7f7f7;padding:.8em;overflow-x:auto;font-size:.85em}\
figure{margin:1em 0}figcaption{color:#555;font-size:.9em}svg{max-width:100%;height:auto}";

impl Page {
    pub fn render(&self) -> String {
        let mut s =
            String::from("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
        s.push_str(&format!(
            "<title>{}</title><style>{CSS}</style></head><body>",
            esc(&self.title)
        ));
        s.push_str(&format!(
            "<h1>{}</h1><p class=\"sub\">{}</p><nav>",
            esc(&self.title),
            esc(&self.subtitle)
        ));
        for sec in &self.sections {
            s.push_str(&format!(
                "<a href=\"#{}\">{}</a>",
                esc(&sec.id),
                esc(&sec.title)
            ));
        }
        s.push_str("</nav>");
        for sec in &self.sections {
            s.push_str(&format!(
                "<section id=\"{}\"><h2>{}</h2>{}</section>",
                esc(&sec.id),
                esc(&sec.title),
                sec.html
            ));
        }
        s.push_str("</body></html>\n");
        s
    }
}
