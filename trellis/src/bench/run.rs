//! One load run from start to end: the load threads, a live progress line,
//! then the reports (the table, `--json`, `--html`) and the exit status
//! its thresholds call for.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::html;
use super::load::{self, Progress};
use super::machine;
use super::plan::{Pace, Plan};
use super::progress_line::ProgressLine;
use super::report::Report;
use super::threshold::Threshold;

/// The exit status of a run that missed a threshold: k6's, so that CI
/// scripts written for k6 read it alike. Other failures exit 1.
pub const THRESHOLD_MISSED: u8 = 99;

/// Where the reports go.
#[derive(Debug, Clone)]
pub struct Output {
    /// JSON on stdout instead of the table.
    pub json: bool,
    /// The HTML report, written to this file.
    pub html: Option<PathBuf>,
}

pub fn run(plan: Plan, thresholds: Vec<Threshold>, output: Output) -> ExitCode {
    if !output.json {
        println!("{}", headline(&plan));
    }
    let started_unix_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    let progress = Arc::new(Progress::default());
    let (finished, load_finished) = tokio::sync::oneshot::channel();
    let load = {
        let (plan, progress) = (plan.clone(), progress.clone());
        std::thread::spawn(move || {
            let measured = load::run(&plan, &progress);
            let _ = finished.send(());
            measured
        })
    };
    watch(&progress, load_finished, output.json);
    let (stats, elapsed) = match load.join() {
        Ok(measured) => measured,
        Err(_) => {
            eprintln!("error: the load threads failed");
            return ExitCode::FAILURE;
        }
    };
    let verdicts = thresholds
        .iter()
        .map(|threshold| threshold.judge(&stats, elapsed.as_secs_f64()))
        .collect();
    let report = Report {
        names: (0..plan.mix.count())
            .map(|i| plan.mix.name(i).to_string())
            .collect(),
        stats,
        elapsed,
        started_unix_ms,
        settings: plan.describe(),
        verdicts,
        machine: machine::describe(),
    };
    if let Some(path) = &output.html {
        if let Err(error) = std::fs::write(path, html::page(&report)) {
            eprintln!("error: {}: {error}", path.display());
            return ExitCode::FAILURE;
        }
    }
    if output.json {
        println!("{}", report.to_json());
    } else {
        print!("{}", report.to_table());
    }
    let missed = report.verdicts.iter().filter(|v| !v.passed).count();
    if missed > 0 {
        eprintln!("error: {missed} threshold(s) missed");
        return ExitCode::from(THRESHOLD_MISSED);
    }
    ExitCode::SUCCESS
}

/// What is about to be loaded, and how.
fn headline(plan: &Plan) -> String {
    let what = match &plan.scenario {
        Some(file) => format!(
            "{} ({} requests from {})",
            plan.target.url,
            plan.mix.count(),
            file.display()
        ),
        None => plan.target.url.clone(),
    };
    let pace = match &plan.pace {
        Pace::Closed => "closed loop".to_string(),
        Pace::Open(schedule) => format!(
            "open loop, {:.0} requests over {:.1} s",
            schedule.total(),
            schedule.duration().as_secs_f64()
        ),
    };
    format!(
        "Loading {what} with {} connections on {} threads ({pace})",
        plan.connections, plan.threads
    )
}

/// Shows a live progress line until the load ends; Ctrl-C ends it early,
/// and what was measured so far is reported.
fn watch(progress: &Progress, mut load_finished: tokio::sync::oneshot::Receiver<()>, quiet: bool) {
    let mut line = ProgressLine::new(!quiet && std::io::stderr().is_terminal());
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(_) => return,
    };
    runtime.block_on(async {
        let mut last = (Instant::now(), 0);
        let mut ticks = tokio::time::interval(Duration::from_millis(250));
        loop {
            tokio::select! {
                // Sent when the load ends, or dropped if its thread failed.
                _ = &mut load_finished => break,
                _ = tokio::signal::ctrl_c() => {
                    progress.stop.store(true, Ordering::Relaxed);
                }
                _ = ticks.tick() => {
                    let done = progress.requests.load(Ordering::Relaxed);
                    let rate = (done - last.1) as f64 / last.0.elapsed().as_secs_f64().max(f64::EPSILON);
                    last = (Instant::now(), done);
                    let errors = progress.errors.load(Ordering::Relaxed);
                    line.show(&format!("{done} requests, {rate:.0}/s, {errors} errors"));
                }
            }
        }
    });
    line.clear();
}
