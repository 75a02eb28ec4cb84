//! Grouping segment embeddings into speakers.
//!
//! 1. Segments at least [`ClusterSettings::min_duration_ms`] long with an embedding are clustered
//!    agglomeratively with average linkage on cosine distance (`1 - cos`), merging while the two
//!    closest clusters are nearer than [`ClusterSettings::threshold`]. The nearest-neighbour chain
//!    algorithm makes this O(n²) time and memory (a 1-hour lecture has ~1,000 segments).
//! 2. Shorter segments (their embedding rests on under a second of speech, too little to found a
//!    speaker) join the cluster whose mean embedding is most similar; segments without an embedding
//!    (silent) take the speaker of the nearest long segment before them, else after them.
//! 3. Speakers are numbered 0, 1, ... in order of first appearance.

use crate::encoder::Embedding;

/// How segments are grouped into speakers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClusterSettings {
    /// Two groups of segments are one speaker while their average cosine distance is below this.
    pub threshold: f32,
    /// Segments shorter than this only join speakers found in longer ones.
    pub min_duration_ms: u64,
}

impl Default for ClusterSettings {
    /// Threshold 0.25 (average cosine similarity 0.75) and 1 s; see the crate documentation for
    /// how the threshold was chosen.
    fn default() -> Self {
        Self {
            threshold: 0.25,
            min_duration_ms: 1_000,
        }
    }
}

/// One transcript segment to label.
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentVoice {
    /// Its embedding; `None` when its audio had no usable speech.
    pub embedding: Option<Embedding>,
    /// Its length in milliseconds.
    pub duration_ms: u64,
}

/// A speaker number for every segment, in the order given (see the module documentation).
/// Speakers are numbered from 0 in order of first appearance; with no embedding at all, every
/// segment is speaker 0.
pub fn assign_speakers(segments: &[SegmentVoice], settings: &ClusterSettings) -> Vec<usize> {
    let long: Vec<usize> = (0..segments.len())
        .filter(|&i| {
            segments[i].duration_ms >= settings.min_duration_ms && segments[i].embedding.is_some()
        })
        .collect();
    let embeddings: Vec<&Embedding> = long
        .iter()
        .filter_map(|&i| segments[i].embedding.as_ref())
        .collect();
    let long_clusters = average_linkage(&embeddings, settings.threshold);
    let cluster_count = long_clusters.iter().copied().max().map_or(0, |m| m + 1);

    let mut raw: Vec<Option<usize>> = vec![None; segments.len()];
    for (&index, &cluster) in long.iter().zip(&long_clusters) {
        raw[index] = Some(cluster);
    }
    if cluster_count > 0 {
        let centroids = centroids(&embeddings, &long_clusters, cluster_count);
        for (index, segment) in segments.iter().enumerate() {
            if raw[index].is_some() {
                continue;
            }
            if let Some(embedding) = &segment.embedding {
                raw[index] = centroids
                    .iter()
                    .enumerate()
                    .filter_map(|(cluster, c)| Some((cluster, c.as_ref()?.cosine(embedding))))
                    .max_by(|a, b| a.1.total_cmp(&b.1))
                    .map(|(cluster, _)| cluster);
            }
        }
    }
    // Segments without an embedding: the speaker before them, else the one after.
    let mut filled = raw.clone();
    let mut previous = None;
    for slot in filled.iter_mut() {
        match slot {
            Some(value) => previous = Some(*value),
            None => *slot = previous,
        }
    }
    let mut next = None;
    for (slot, original) in filled.iter_mut().zip(&raw).rev() {
        if original.is_some() {
            next = *original;
        } else if slot.is_none() {
            *slot = next;
        }
    }
    renumber_by_first_appearance(filled.into_iter().map(|s| s.unwrap_or(0)))
}

/// Cluster labels (arbitrary numbers) → 0, 1, ... in order of first appearance.
fn renumber_by_first_appearance(labels: impl Iterator<Item = usize>) -> Vec<usize> {
    let mut seen: Vec<usize> = Vec::new();
    labels
        .map(|label| match seen.iter().position(|s| *s == label) {
            Some(position) => position,
            None => {
                seen.push(label);
                seen.len() - 1
            }
        })
        .collect()
}

/// The normalised mean embedding of each cluster (`None` cannot happen for unit-length members,
/// but is not assumed away).
fn centroids(embeddings: &[&Embedding], labels: &[usize], count: usize) -> Vec<Option<Embedding>> {
    let size = embeddings.first().map_or(0, |e| e.as_slice().len());
    let mut sums = vec![vec![0.0f32; size]; count];
    for (embedding, &label) in embeddings.iter().zip(labels) {
        for (s, v) in sums[label].iter_mut().zip(embedding.as_slice()) {
            *s += v;
        }
    }
    sums.into_iter().map(Embedding::normalized).collect()
}

/// Average-linkage agglomerative clustering on cosine distance, cut at `threshold`: a cluster
/// label (0-based, arbitrary order) per embedding. Nearest-neighbour chain, O(n²).
pub fn average_linkage(embeddings: &[&Embedding], threshold: f32) -> Vec<usize> {
    let n = embeddings.len();
    if n == 0 {
        return Vec::new();
    }
    let mut distance = vec![0.0f32; n * n];
    for i in 0..n {
        for j in (i + 1)..n {
            let d = 1.0 - embeddings[i].cosine(embeddings[j]);
            distance[i * n + j] = d;
            distance[j * n + i] = d;
        }
    }
    let mut size = vec![1usize; n];
    // Clusters still open to merging; `owner[i]` is the cluster point i ended up in.
    let mut active = vec![true; n];
    let mut owner: Vec<usize> = (0..n).collect();
    let mut remaining = n;
    let mut chain: Vec<usize> = Vec::new();
    while remaining > 1 {
        if chain.is_empty()
            && let Some(first) = active.iter().position(|a| *a)
        {
            chain.push(first);
        }
        let Some(&a) = chain.last() else { break };
        let previous = chain.len().checked_sub(2).map(|i| chain[i]);
        // The nearest active cluster to `a`, preferring the previous chain element on ties.
        let mut best: Option<(usize, f32)> = previous.map(|p| (p, distance[a * n + p]));
        for k in 0..n {
            if k == a || !active[k] {
                continue;
            }
            let d = distance[a * n + k];
            if best.is_none_or(|(_, bd)| d < bd) {
                best = Some((k, d));
            }
        }
        let Some((b, d)) = best else { break };
        if Some(b) != previous {
            chain.push(b);
            continue;
        }
        chain.truncate(chain.len() - 2);
        if d >= threshold {
            // Reciprocal nearest neighbours too far apart: with average linkage neither can ever
            // come nearer to anything, so both are final.
            active[a] = false;
            active[b] = false;
            remaining -= 2;
            continue;
        }
        // Merge b into a (Lance-Williams update for average linkage).
        let (sa, sb) = (size[a] as f32, size[b] as f32);
        for k in 0..n {
            if k == a || k == b || !active[k] {
                continue;
            }
            let merged = (sa * distance[a * n + k] + sb * distance[b * n + k]) / (sa + sb);
            distance[a * n + k] = merged;
            distance[k * n + a] = merged;
        }
        size[a] += size[b];
        active[b] = false;
        remaining -= 1;
        for o in owner.iter_mut() {
            if *o == b {
                *o = a;
            }
        }
    }
    renumber_by_first_appearance(owner.into_iter())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(values: &[f32]) -> Embedding {
        Embedding::normalized(values.to_vec()).unwrap_or_else(|| panic!("zero vector"))
    }

    fn voice(values: &[f32], duration_ms: u64) -> SegmentVoice {
        SegmentVoice {
            embedding: Some(unit(values)),
            duration_ms,
        }
    }

    #[test]
    fn two_voices_are_two_speakers_numbered_by_first_appearance() {
        let segments = [
            voice(&[1.0, 0.1, 0.0], 3000),
            voice(&[0.95, 0.15, 0.0], 2500),
            voice(&[0.0, 0.2, 1.0], 2000),
            voice(&[1.0, 0.05, 0.05], 4000),
            voice(&[0.05, 0.1, 1.0], 1500),
        ];
        assert_eq!(
            assign_speakers(&segments, &ClusterSettings::default()),
            [0, 0, 1, 0, 1]
        );
    }

    #[test]
    fn short_and_silent_segments_join_existing_speakers() {
        let segments = [
            SegmentVoice {
                embedding: None,
                duration_ms: 800,
            },
            voice(&[1.0, 0.0, 0.0], 3000),
            // Short and unlike anything: joins the nearest speaker instead of founding one.
            voice(&[0.5, 0.0, 1.0], 400),
            voice(&[0.0, 1.0, 0.0], 3000),
            SegmentVoice {
                embedding: None,
                duration_ms: 3000,
            },
        ];
        assert_eq!(
            assign_speakers(&segments, &ClusterSettings::default()),
            [0, 0, 0, 1, 1]
        );
    }

    #[test]
    fn nothing_usable_is_one_speaker() {
        let silent = SegmentVoice {
            embedding: None,
            duration_ms: 2000,
        };
        assert_eq!(
            assign_speakers(&[silent.clone(), silent], &ClusterSettings::default()),
            [0, 0]
        );
        assert!(assign_speakers(&[], &ClusterSettings::default()).is_empty());
        // Only short segments: no speaker is founded, all are one.
        assert_eq!(
            assign_speakers(
                &[voice(&[1.0, 0.0], 500), voice(&[0.0, 1.0], 500)],
                &ClusterSettings::default()
            ),
            [0, 0]
        );
    }

    #[test]
    fn average_linkage_matches_a_brute_force_cut() {
        // Points on a circle arc in 2-D: pairwise cosine distances spread over 0..1.
        let points: Vec<Embedding> = [0.0f32, 0.1, 0.15, 0.7, 0.75, 0.8, 1.4, 1.45]
            .iter()
            .map(|angle| unit(&[angle.cos(), angle.sin()]))
            .collect();
        let refs: Vec<&Embedding> = points.iter().collect();
        for threshold in [0.001, 0.01, 0.05, 0.1, 0.2, 0.5, 1.1] {
            assert_eq!(
                average_linkage(&refs, threshold),
                brute_force(&refs, threshold),
                "threshold {threshold}"
            );
        }
        assert_eq!(average_linkage(&refs, 0.05), [0, 0, 0, 1, 1, 1, 2, 2]);
    }

    /// Textbook O(n³) average linkage: merge the closest pair while it is under the threshold.
    fn brute_force(points: &[&Embedding], threshold: f32) -> Vec<usize> {
        let mut clusters: Vec<Vec<usize>> = (0..points.len()).map(|i| vec![i]).collect();
        loop {
            let mut best: Option<(usize, usize, f32)> = None;
            for a in 0..clusters.len() {
                for b in (a + 1)..clusters.len() {
                    let mut total = 0.0;
                    for &i in &clusters[a] {
                        for &j in &clusters[b] {
                            total += 1.0 - points[i].cosine(points[j]);
                        }
                    }
                    let d = total / (clusters[a].len() * clusters[b].len()) as f32;
                    if best.is_none_or(|(_, _, bd)| d < bd) {
                        best = Some((a, b, d));
                    }
                }
            }
            match best {
                Some((a, b, d)) if d < threshold => {
                    let moved = clusters.remove(b);
                    clusters[a].extend(moved);
                }
                _ => break,
            }
        }
        let mut labels = vec![0; points.len()];
        for (c, members) in clusters.iter().enumerate() {
            for &m in members {
                labels[m] = c;
            }
        }
        renumber_by_first_appearance(labels.into_iter())
    }
}
