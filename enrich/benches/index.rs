//! The dedup and story index at scale: fill it with N synthetic articles
//! (default 1,000,000) and report memory per article and push latency.
//!
//! `cargo bench -p newsflow-enrich --bench index [-- N [EXTRA]]`
//!
//! With EXTRA, EXTRA more articles follow the first N (the index still
//! holds at most N): the steady state, where each push also evicts.
//!
//! Articles are Arabic-script texts of about 3.5 KB (a title and five
//! paragraphs of about 60 words) drawn from a 60,000-word vocabulary with a
//! power-law word frequency; each belongs to one of N/8 story topics whose
//! 40 own words it uses often. 8 % are exact copies of a recent article under
//! a new URL, 4 % near copies (a dozen words of one paragraph replaced, page furniture
//! added).
//! Publication times advance so that N articles span 72 hours, the window
//! the index keeps. Push = the index's whole work for an article, in two
//! parts: *prepare* ([`Clusterer::prepare`]: normalization, shingles,
//! MinHash, terms, from the article alone; the enricher runs it outside the
//! index's lock) and *lookup* ([`Clusterer::push_prepared`]: the duplicate
//! and story lookups and the insert, under the lock). Memory = growth of
//! the process's resident set (`/proc/self/status` VmRSS) over the fill,
//! divided by N.
//!
//! On a shared machine wall time includes time spent waiting for a core.
//! Each part is therefore also bracketed by readings of the thread's
//! `/proc/thread-self/schedstat`, whose run-queue wait is updated exactly
//! each time the thread gets a core back: wall time minus that wait is the
//! part's own time, reported beside the wall time.

use std::time::Instant;

use chrono::{DateTime, Duration, FixedOffset};
use newsflow_enrich::cluster::{ArticleRef, ClusterConfig, Clusterer, DuplicateKind};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// Power-law index in 0..n: small indices are frequent.
    fn zipfish(&mut self, n: usize) -> usize {
        let u = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        ((u * u * u) * n as f64) as usize
    }
}

/// This thread's run-queue wait in ns so far, from
/// `/proc/thread-self/schedstat` (its second field).
struct SchedStat(std::fs::File);

impl SchedStat {
    fn open() -> Option<SchedStat> {
        std::fs::File::open("/proc/thread-self/schedstat").ok().map(SchedStat)
    }

    fn wait(&self) -> Option<u64> {
        use std::os::unix::fs::FileExt;
        let mut buf = [0u8; 128];
        let n = self.0.read_at(&mut buf, 0).ok()?;
        let s = std::str::from_utf8(&buf[..n]).ok()?;
        s.split_whitespace().nth(1)?.parse().ok()
    }
}

fn rss_bytes() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmRSS:")).map(str::to_owned))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse::<f64>().ok()))
        .map_or(0.0, |kb| kb * 1024.0)
}

const LETTERS: &[char] = &[
    'ا', 'ب', 'ت', 'ث', 'ج', 'ح', 'خ', 'د', 'ذ', 'ر', 'ز', 'س', 'ش', 'ص', 'ض', 'ط', 'ظ', 'ع', 'غ', 'ف', 'ق', 'ك', 'ل',
    'م', 'ن', 'ه', 'و', 'ي', 'ة', 'أ', 'ى',
];

fn word(rng: &mut Rng) -> String {
    let n = 3 + rng.below(6);
    (0..n).map(|_| LETTERS[rng.below(LETTERS.len())]).collect()
}

struct Article {
    title: String,
    text: String,
}

fn article(rng: &mut Rng, vocab: &[String], topic: &[String]) -> Article {
    let pick = |rng: &mut Rng| -> &str {
        if rng.below(4) == 0 { &topic[rng.below(topic.len())] } else { &vocab[rng.zipfish(vocab.len())] }
    };
    let title: Vec<&str> = (0..8).map(|_| pick(rng)).collect();
    let paragraphs: Vec<String> =
        (0..5).map(|_| (0..50 + rng.below(20)).map(|_| pick(rng)).collect::<Vec<_>>().join(" ")).collect();
    Article { title: title.join(" "), text: paragraphs.join("\n") }
}

fn main() {
    let mut nums = std::env::args().skip(1).filter_map(|a| a.parse::<usize>().ok());
    let n = nums.next().unwrap_or(1_000_000);
    let total = n + nums.next().unwrap_or(0);
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let vocab: Vec<String> = (0..60_000).map(|_| word(&mut rng)).collect();
    let topics: Vec<Vec<String>> = (0..(n / 8).max(1)).map(|_| (0..40).map(|_| word(&mut rng)).collect()).collect();
    let start: DateTime<FixedOffset> = DateTime::parse_from_rfc3339("2026-01-01T00:00:00+03:00").unwrap();
    let step = Duration::hours(72).num_milliseconds() as f64 / n as f64;
    let cfg = ClusterConfig { retention: Some(Duration::hours(72)), max_articles: n, ..Default::default() };

    // Recent articles that copies are made from.
    let mut recent: Vec<(String, Article)> = Vec::new();
    let sched = SchedStat::open();
    // Per push and part: (wall µs, run-queue wait µs), filled (so resident)
    // before the memory baseline: the memory figure counts the index alone.
    let (mut whole, mut lookup) = (vec![(-1.0, -1.0); total], vec![(-1.0, -1.0); total]);
    let before = rss_bytes();
    let mut c = Clusterer::new(cfg);
    let (mut exact, mut exact_found, mut near, mut near_found) = (0usize, 0usize, 0usize, 0usize);
    let began = Instant::now();
    for i in 0..total {
        let roll = rng.below(100);
        let (a, planted) = if roll < 8 && !recent.is_empty() {
            let (id, src) = &recent[rng.below(recent.len())];
            exact += 1;
            (Article { title: src.title.clone(), text: src.text.clone() }, Some((id.clone(), DuplicateKind::Text)))
        } else if roll < 12 && !recent.is_empty() {
            let (id, src) = &recent[rng.below(recent.len())];
            near += 1;
            // A light edit: a dozen words of one paragraph replaced.
            let mut paras: Vec<String> = src.text.lines().map(str::to_owned).collect();
            let k = rng.below(paras.len());
            let mut words: Vec<&str> = paras[k].split(' ').collect();
            for _ in 0..12 {
                let w = rng.below(words.len());
                words[w] = vocab[rng.zipfish(vocab.len())].as_str();
            }
            paras[k] = words.join(" ");
            let text = format!("الرئيسية\nأخبار\n{}\nاشترك في النشرة البريدية", paras.join("\n"));
            (Article { title: src.title.clone(), text }, Some((id.clone(), DuplicateKind::Near)))
        } else {
            let topic = &topics[rng.below(topics.len())];
            (article(&mut rng, &vocab, topic), None)
        };
        let id = format!("{:032x}", (i as u128) * 0x9e37_79b9_7f4a_7c15_u128);
        let url = format!("https://site{}.example/news/{i}", i % 500);
        let published = start + Duration::milliseconds((i as f64 * step) as i64);
        let art =
            ArticleRef { id: &id, url_key: &url, title: Some(&a.title), text: &a.text, published: Some(published) };
        let wait = || sched.as_ref().and_then(SchedStat::wait).unwrap_or(0);
        let w0 = wait();
        let t0 = Instant::now();
        let prepared = Clusterer::prepare(&art);
        let (w1, t1) = (wait(), Instant::now());
        let out = c.push_prepared(prepared, Some(published.to_utc()));
        let (w2, t2) = (wait(), Instant::now());
        let us = |a: Instant, b: Instant| (b - a).as_secs_f64() * 1e6;
        whole[i] = (us(t0, t2), (w2 - w0) as f64 / 1e3);
        lookup[i] = (us(t1, t2), (w2 - w1) as f64 / 1e3);
        match planted {
            // The copy's source may itself be a duplicate: any duplicate
            // verdict of the right kind counts.
            Some((_, DuplicateKind::Text)) if out.duplicate_kind == Some(DuplicateKind::Text) => exact_found += 1,
            Some((_, DuplicateKind::Near)) if out.duplicate_of.is_some() => near_found += 1,
            _ => {}
        }
        if planted.is_none() {
            if recent.len() < 2_000 {
                recent.push((id, a));
            } else {
                let k = rng.below(recent.len());
                recent[k] = (id, a);
            }
        }
        if (i + 1) % 100_000 == 0 {
            eprintln!("{} articles, {:.0} s, {} stories", i + 1, began.elapsed().as_secs_f64(), c.story_count());
        }
    }
    let grown = (rss_bytes() - before).max(0.0);
    println!("index: {total} articles pushed, {} indexed, {} live stories", c.indexed_articles(), c.story_count());
    println!(
        "memory: {:.0} bytes/article (RSS growth {:.0} MiB)",
        grown / c.indexed_articles().max(1) as f64,
        grown / 1048576.0
    );
    report("push (prepare + lookup)", &whole, sched.is_some());
    report("lookup (under the index lock)", &lookup, sched.is_some());
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!("load average at the end (1, 5, 15 min): {}", load.split(' ').take(3).collect::<Vec<_>>().join(" "));
    println!("exact copies found {exact_found}/{exact}, near copies found {near_found}/{near}");
}

/// Mean, p50, p99, p99.9 and max of the wall times, and of the wall times
/// less run-queue wait (the part's own time) when `own` is known.
fn report(what: &str, times: &[(f64, f64)], own: bool) {
    let stats = |mut v: Vec<f64>| {
        let n = v.len();
        let mean = v.iter().sum::<f64>() / n as f64;
        v.sort_by(f64::total_cmp);
        let q = |per_mille: usize| v[(n * per_mille / 1000).min(n - 1)];
        format!(
            "mean {mean:.0} µs, p50 {:.0} µs, p99 {:.0} µs, p99.9 {:.0} µs, max {:.0} µs",
            q(500),
            q(990),
            q(999),
            v[n - 1]
        )
    };
    println!("{what}, wall: {}", stats(times.iter().map(|t| t.0).collect()));
    if own {
        let waited = times.iter().filter(|t| t.1 > 0.0).count();
        println!(
            "{what}, own time (wall less run-queue wait; {waited} waited for a core): {}",
            stats(times.iter().map(|t| (t.0 - t.1).max(0.0)).collect())
        );
    }
}
