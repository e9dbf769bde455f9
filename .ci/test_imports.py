#!/usr/bin/env python3
"""The import checker (.ci/imports.py) on made-up crates: it finds what it must and only that."""

import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from imports import check  # noqa: E402

LAYERS = [["low/"], ["high/"], ["lib.rs"]]


def crate(files):
    """A folder holding `files` ({relative path: source}); returns its path."""
    root = tempfile.mkdtemp()
    for rel, text in files.items():
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    return root


def problems(files, layers=None):
    """What the checker finds in a made-up crate of `files` whose root is lib.rs."""
    return check(crate(files), ["lib.rs"], layers)


class Circles(unittest.TestCase):
    def test_two_files_that_import_each_other(self):
        [problem] = problems({
            "lib.rs": "mod a;\nmod b;\n",
            "a.rs": "use crate::b::B;\npub struct A;\n",
            "b.rs": "use crate::a::A;\npub struct B;\n",
        })
        self.assertIn("circle: a.rs (line 1) -> b.rs (line 1) -> a.rs", problem)

    def test_a_circle_of_three_through_grouped_and_nested_uses_and_a_path_in_code(self):
        [problem] = problems({
            "lib.rs": "mod a;\nmod b;\nmod c;\n",
            "a.rs": "use crate::{b::{self, f as eff}, Root};\n",
            "b.rs": "pub fn f() { crate::c::g() }\n",
            "c.rs": "pub fn g() {}\nfn h() { let _ = crate::a::A; }\n",
        })
        self.assertIn("a.rs (line 1) -> b.rs (line 1) -> c.rs (line 2) -> a.rs", problem)

    def test_a_parent_that_re_exports_a_child_importing_it_is_a_circle(self):
        files = {
            "lib.rs": "pub mod room;\n",
            "room/mod.rs": "mod item;\nmod user;\npub use item::Item;\npub use user::use_it;\n",
            "room/item.rs": "pub struct Item;\n",
            "room/user.rs": "use super::Item;\npub fn use_it(_: Item) {}\n",
        }
        [problem] = problems(files)
        self.assertIn("room/mod.rs (line 4) -> room/user.rs (line 1) -> room/mod.rs", problem)
        # Naming the sibling's file instead is no circle.
        files["room/user.rs"] = "use super::item::Item;\npub fn use_it(_: Item) {}\n"
        self.assertEqual(problems(files), [])

    def test_children_by_path_attribute_folder_and_file_beside(self):
        [problem] = problems({
            "lib.rs": "mod k;\n",
            "k.rs": '#[cfg(unix)]\n#[path = "k/unix.rs"]\nmod platform;\nmod util;\n'
            "pub use platform::f;\n",
            "k/unix.rs": "pub fn f() { super::util::g() }\n",
            "k/util/mod.rs": "pub fn g() { crate::k::f() }\n",
        })
        self.assertIn("k.rs (line 5) -> k/unix.rs (line 1) -> k/util/mod.rs (line 1) -> k.rs", problem)

    def test_comments_strings_macros_and_test_modules_are_not_imports(self):
        self.assertEqual(problems({
            "lib.rs": "mod a;\nmod b;\n",
            "a.rs": "use crate::b::B;\npub struct A;\n",
            "b.rs": "//! See [`A`](crate::a::A).\n"
            "/* use crate::a::A; */\n"
            'const S: &str = "crate::a::A";\n'
            "const R: &str = r#\"use crate::a::A;\"#;\n"
            "const C: char = '\"';\n"
            "macro_rules! m { () => { super::x::Y } }\n"
            "pub struct B;\n"
            "#[cfg(test)]\nmod tests {\n    use super::*;\n}\n",
        }), [])


class Layers(unittest.TestCase):
    def test_a_lower_layer_that_imports_a_higher_one_or_the_root(self):
        found = problems({
            "lib.rs": "mod low;\nmod high;\npub use high::H;\n",
            "low/mod.rs": "use crate::high::H;\nuse crate::H as Again;\n",
            "high/mod.rs": "pub struct H;\n",
        }, LAYERS)
        self.assertEqual(len(found), 2, found)
        self.assertIn("low/mod.rs line 1 imports high/mod.rs, a layer above its own", found[0])
        self.assertIn("low/mod.rs line 2 imports lib.rs, a layer above its own", found[1])

    def test_upward_only_and_every_file_in_a_layer(self):
        files = {
            "lib.rs": "mod low;\nmod high;\n",
            "low/mod.rs": "pub struct L;\n",
            "high/mod.rs": "use crate::low::L;\n",
        }
        self.assertEqual(problems(files, LAYERS), [])
        files["lib.rs"] += "mod stray;\n"
        files["stray.rs"] = "\n"
        [problem] = problems(files, LAYERS)
        self.assertTrue(problem.endswith("stray.rs is in no layer"), problem)


if __name__ == "__main__":
    unittest.main()
