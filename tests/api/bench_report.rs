//! `trellis bench --html`: one page that needs nothing else, opened in a
//! real headless Chromium, where its script draws every chart without an
//! error and shows the run's own numbers.

use crate::bench_cli::report;
use crate::chromium::Chromium;
use crate::scratch_dir::ScratchDir;
use crate::test_app::{spawn_app, trellis};

const CHARTS: [&str; 5] = ["throughput", "latency", "distribution", "statuses", "cache"];

/// The opening tag of the element with `id`, attributes and all.
fn tag_with_id<'a>(dom: &'a str, id: &str) -> &'a str {
    let at = dom
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no element {id} in the page"));
    let start = dom[..at].rfind('<').expect("an opening tag");
    let end = at + dom[at..].find('>').expect("the tag ends");
    &dom[start..=end]
}

#[actix_web::test]
async fn the_html_report_draws_its_charts_in_a_real_browser() {
    let Some(chromium) = Chromium::find().await else {
        return;
    };
    let app = spawn_app();
    let folder = ScratchDir::new("html-report");
    let page = folder.file("report.html");
    let url = format!("{}/posts", app.address);
    let page_arg = page.to_str().expect("a UTF-8 temporary path");
    let args = [
        "bench", "--json", "--html", page_arg, "-c", "4", "-d", "1s", &url,
    ];
    let run = report(&trellis(&args).await);

    let html = std::fs::read_to_string(&page).expect("the page is written");
    // Self-contained: nothing to load from anywhere when it opens.
    for link in [" src=", " href=", "@import", "url("] {
        assert!(!html.contains(link), "the page links to something: {link}");
    }

    let profile = folder.file("profile");
    let dom = chromium.dump_dom(&page, &profile).await;
    assert!(
        dom.contains("<html lang=\"en\" data-rendered=\"ok\">"),
        "the script did not finish cleanly: {}",
        &dom[..dom.len().min(300)]
    );
    for chart in CHARTS {
        let tag = tag_with_id(&dom, chart);
        assert!(tag.contains("data-rendered=\"ok\""), "{chart}: {tag}");
    }
    let points = run["series"]["points"].as_array().expect("points").len();
    let throughput = tag_with_id(&dom, "throughput");
    assert!(
        throughput.contains(&format!("data-points=\"{points}\"")),
        "{throughput}, {points} points"
    );
    assert!(dom.contains("<polyline"), "lines were drawn");
    let drawn = tag_with_id(&dom, "drawn");
    let p99 = run["latency_ms"]["p99"].as_f64().expect("a p99");
    for (attribute, value) in [
        ("data-requests", run["requests"].to_string()),
        ("data-p99-ms", format!("{p99:.3}")),
        ("data-charts", CHARTS.len().to_string()),
    ] {
        let wanted = format!("{attribute}=\"{value}\"");
        assert!(drawn.contains(&wanted), "{wanted} in {drawn}");
    }
    // And the figures written into the page, for a reader without script.
    assert!(dom.contains(&format!("<td>{}</td>", run["requests"])));
}
