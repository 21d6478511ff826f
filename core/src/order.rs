//! Sorting, for every call site of the engine. Natively these are the standard library's sorts.
//! In the wasm32 build they sort a permutation of indices through one non-generic comparator
//! and then move the elements, so the engine's thirty-odd sorts share one copy of the sort code
//! instead of one copy each (about 150 KB of the browser package before compression).
//!
//! Both builds give the same order: `sort_by` is stable in both, and the `sort_unstable*`
//! variants are only used with comparators that tie on equal elements alone (keys end with the
//! row's line or index), so stable and unstable orders coincide.
#![allow(clippy::disallowed_methods)]

use std::cmp::Ordering;

pub mod sorted;

/// The engine's ordered map (every map in an output): the standard `BTreeMap` natively, a
/// [`sorted::SortedMap`] in wasm32 — the same order and bytes, a fraction of the code.
#[cfg(not(target_arch = "wasm32"))]
pub type Map<K, V> = std::collections::BTreeMap<K, V>;
/// The engine's ordered map (every map in an output): the standard `BTreeMap` natively, a
/// [`sorted::SortedMap`] in wasm32 — the same order and bytes, a fraction of the code.
#[cfg(target_arch = "wasm32")]
pub type Map<K, V> = sorted::SortedMap<K, V>;

/// The engine's ordered set: the standard `BTreeSet` natively, a [`sorted::SortedSet`] in wasm32.
#[cfg(not(target_arch = "wasm32"))]
pub type Set<T> = std::collections::BTreeSet<T>;
/// The engine's ordered set: the standard `BTreeSet` natively, a [`sorted::SortedSet`] in wasm32.
#[cfg(target_arch = "wasm32")]
pub type Set<T> = sorted::SortedSet<T>;

/// Collecting into ordered maps and sets (`BTreeMap::from_iter` natively; in wasm32 the sorted
/// collections, whose `from_iter` sorts through the one shared sort). A repeated key keeps its
/// last value either way.
pub trait CollectOrdered: Iterator + Sized {
    /// Collects `(key, value)` pairs into a [`Map`].
    fn collect_map<K: Ord, V>(self) -> Map<K, V>
    where
        Self: Iterator<Item = (K, V)>,
    {
        self.collect()
    }

    /// Collects items into a [`Set`].
    fn collect_set<T: Ord>(self) -> Set<T>
    where
        Self: Iterator<Item = T>,
    {
        self.collect()
    }
}

impl<I: Iterator> CollectOrdered for I {}

/// Sorts `v` stably by `cmp`.
pub fn sort_by<T>(v: &mut [T], cmp: impl FnMut(&T, &T) -> Ordering) {
    #[cfg(not(target_arch = "wasm32"))]
    v.sort_by(cmp);
    #[cfg(target_arch = "wasm32")]
    shared(v, cmp);
}

/// Sorts `v` by `cmp`, which must tie only on equal elements (then any sort gives one order).
pub fn sort_unstable_by<T>(v: &mut [T], cmp: impl FnMut(&T, &T) -> Ordering) {
    #[cfg(not(target_arch = "wasm32"))]
    v.sort_unstable_by(cmp);
    #[cfg(target_arch = "wasm32")]
    shared(v, cmp);
}

/// Sorts `v` stably by a key.
pub fn sort_by_key<T, K: Ord>(v: &mut [T], mut key: impl FnMut(&T) -> K) {
    sort_by(v, |a, b| key(a).cmp(&key(b)));
}

/// Sorts `v` by a key that differs between any two unequal elements.
pub fn sort_unstable_by_key<T, K: Ord>(v: &mut [T], mut key: impl FnMut(&T) -> K) {
    sort_unstable_by(v, |a, b| key(a).cmp(&key(b)));
}

/// Sorts `v` in ascending order.
pub fn sort<T: Ord>(v: &mut [T]) {
    sort_by(v, T::cmp);
}

/// Sorts `v` in ascending order (equal elements are indistinguishable).
pub fn sort_unstable<T: Ord>(v: &mut [T]) {
    sort_unstable_by(v, T::cmp);
}

/// The wasm32 sort: a stable sort of indices, then the elements follow their indices.
#[cfg(any(target_arch = "wasm32", test))]
fn shared<T>(v: &mut [T], mut cmp: impl FnMut(&T, &T) -> Ordering) {
    if v.len() <= 16 {
        // Short slices (most of a one-lead call's sorts): insertion sort in place, stable.
        for i in 1..v.len() {
            let mut j = i;
            while j > 0 && cmp(&v[j - 1], &v[j]) == Ordering::Greater {
                v.swap(j - 1, j);
                j -= 1;
            }
        }
        return;
    }
    let mut perm: Vec<usize> = (0..v.len()).collect();
    sort_indices(&mut perm, &mut |a, b| cmp(&v[a], &v[b]));
    permute(v, perm);
}

/// The one instantiation of the standard library's sort in the wasm32 build.
#[cfg(any(target_arch = "wasm32", test))]
#[inline(never)]
fn sort_indices(perm: &mut [usize], cmp: &mut dyn FnMut(usize, usize) -> Ordering) {
    perm.sort_by(|&a, &b| cmp(a, b));
}

/// Moves `v[perm[i]]` to position `i` for every `i`, in place, cycle by cycle.
#[cfg(any(target_arch = "wasm32", test))]
fn permute<T>(v: &mut [T], mut perm: Vec<usize>) {
    for start in 0..v.len() {
        let mut at = start;
        loop {
            let from = perm[at];
            perm[at] = at;
            if from == start || from == at {
                break;
            }
            v.swap(at, from);
            at = from;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shared_sort_is_the_standard_stable_sort() {
        // Pairs sorted by their first half: ties keep their input order.
        let mut seed = 7u64;
        for len in [0usize, 1, 2, 3, 10, 16, 17, 33, 200] {
            let input: Vec<(u8, usize)> = (0..len)
                .map(|i| {
                    seed = seed
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    ((seed >> 59) as u8, i)
                })
                .collect();
            let mut expected = input.clone();
            expected.sort_by_key(|a| a.0);
            let mut got = input.clone();
            shared(&mut got, |a, b| a.0.cmp(&b.0));
            assert_eq!(got, expected, "len {len}");
        }
    }
}
