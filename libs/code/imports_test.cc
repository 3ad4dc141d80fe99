#include "libs/code/imports.h"

#include <gtest/gtest.h>

#include <ostream>
#include <random>
#include <string>
#include <vector>

namespace slipway::code {

// Readable failures: gtest would otherwise print an Import as raw bytes.
void PrintTo(const Import& imp, std::ostream* os) {
  *os << "{\"" << imp.target << "\" line " << imp.line;
  if (imp.level > 0) *os << " level " << imp.level;
  if (imp.local_include) *os << " local";
  if (!imp.names.empty()) {
    *os << " names";
    for (const std::string& name : imp.names) *os << " " << name;
  }
  *os << "}";
}

namespace {

using Names = std::vector<std::string>;
using Paths = std::vector<std::string>;

Import Imp(std::string target, uint32_t line, Names names = {}, int level = 0) {
  Import imp;
  imp.target = std::move(target);
  imp.line = line;
  imp.names = std::move(names);
  imp.level = level;
  return imp;
}

Import Include(std::string target, uint32_t line, bool local) {
  Import imp = Imp(std::move(target), line);
  imp.local_include = local;
  return imp;
}

std::vector<std::string> Targets(const std::vector<Import>& imports) {
  std::vector<std::string> out;
  for (const Import& imp : imports) out.push_back(imp.target);
  return out;
}

const char* const kLanguages[] = {"python", "javascript", "typescript", "go", "java",
                                  "kotlin", "rust",       "c",          "cpp"};

// ---------------------------------------------------------------------------------------------
// Python

TEST(ParseImportsPython, EveryForm) {
  const std::string src =
      "import a.b as c\n"                                              // 1
      "import d, e.f\n"                                                // 2
      "from g.h import i\n"                                            // 3
      "from . import j\n"                                              // 4
      "from ..pkg.mod import (k,\n    l as ll,  # trailing comment\n"  // 5
      "    m)\n"                                                       // 7
      "from .sib import *\n"                                           // 8
      "from n import o, \\\n    p\n"                                   // 9
      "x = 1; import q\n"                                              // 11
      "# import commented\n"                                           // 12
      "s = \"import in_string\"\n"                                     // 13
      "'''\nimport in_docstring\n'''\n"                                // 14
      "def f():\n    import lazy\n"                                    // 17
      "from.dotless import r\n"                                        // 19
      "important = 1\n"                                                // 20
      "from_x = 2\n";                                                  // 21
  const std::vector<Import> want = {
      Imp("a.b", 1),
      Imp("d", 2),
      Imp("e.f", 2),
      Imp("g.h", 3, {"i"}),
      Imp("", 4, {"j"}, 1),
      Imp("pkg.mod", 5, {"k", "l", "m"}, 2),
      Imp("sib", 8, {}, 1),
      Imp("n", 9, {"o", "p"}),
      Imp("q", 11),
      Imp("lazy", 18),
      Imp("dotless", 19, {"r"}, 1),
  };
  EXPECT_EQ(ParseImports("python", src), want);
}

TEST(ParseImportsPython, StringPrefixesAndEscapesHideImports) {
  const std::string src =
      "a = r'import raw'\n"
      "b = b\"\"\"\nimport in_bytes\n\"\"\"\n"
      "c = f'{x} import in_fstring'\n"
      "d = Rb'\\' import escaped_quote'\n"
      "e = \"\\\"import still_string\\\"\"\n"
      "import real\n";
  EXPECT_EQ(ParseImports("python", src), (std::vector<Import>{Imp("real", 8)}));
}

TEST(ParseImportsPython, KeywordsThatAreNotImports) {
  const std::string src =
      "def g():\n"
      "    yield from items\n"
      "    raise ValueError('x') from err\n"
      "from __future__ import annotations\n"
      "import os.path as osp, sys\n";
  EXPECT_EQ(ParseImports("python", src), (std::vector<Import>{Imp("__future__", 4, {"annotations"}),
                                                              Imp("os.path", 5), Imp("sys", 5)}));
}

TEST(ParseImportsPython, SurvivesBrokenInput) {
  // An unclosed bracket must not swallow the imports that follow it.
  EXPECT_EQ(Targets(ParseImports("python", "call(\nimport after\n")), Names{"after"});
  EXPECT_EQ(Targets(ParseImports("python", "from x import (a,\nimport b\n")), (Names{"x", "b"}));
  EXPECT_TRUE(
      ParseImports("python", "from import\nimport\nfrom . import\n'''unterminated").empty());
  EXPECT_TRUE(ParseImports("python", "\"\"\"\nimport hidden\n").empty());
  EXPECT_EQ(Targets(ParseImports("python", "s = 'unterminated\nimport ok\n")), Names{"ok"});
  std::string garbage;
  for (int i = 0; i < 4096; ++i) garbage += static_cast<char>((i * 131) % 256);
  std::vector<Import> imports = ParseImports("python", garbage + "\nimport ok\n");
  ASSERT_FALSE(imports.empty());
  EXPECT_EQ(imports.back().target, "ok");
}

// ---------------------------------------------------------------------------------------------
// JavaScript and TypeScript

TEST(ParseImportsJs, StaticForms) {
  const std::string src =
      "import def from './a';\n"                          // 1
      "import { x, y as z } from \"./b\";\n"              // 2
      "import * as ns from 'c';\n"                        // 3
      "import d, * as dns from 'd';\n"                    // 4
      "import e, { f } from 'e'\n"                        // 5
      "import './side-effect.css';\n"                     // 6
      "import {\n  g,\n  h,\n} from '@scope/pkg/sub';\n"  // 7
      "export { i, j as k } from './reexport';\n"         // 11
      "export * from '../api';\n"                         // 12
      "export * as api2 from '../api2';\n";               // 13
  const std::vector<Import> want = {
      Imp("./a", 1, {"def"}),
      Imp("./b", 2, {"x", "y"}),
      Imp("c", 3),
      Imp("d", 4, {"d"}),
      Imp("e", 5, {"e", "f"}),
      Imp("./side-effect.css", 6),
      Imp("@scope/pkg/sub", 7, {"g", "h"}),
      Imp("./reexport", 11, {"i", "j"}),
      Imp("../api", 12),
      Imp("../api2", 13),
  };
  EXPECT_EQ(ParseImports("javascript", src), want);
}

TEST(ParseImportsJs, TypeScriptForms) {
  const std::string src =
      "import type { User } from './models';\n"
      "import type Config from './config';\n"
      "import { type Row, Db } from './db';\n"
      "import type from './named-type';\n"
      "export type { Id } from './ids';\n"
      "import fs = require('fs');\n";
  const std::vector<Import> want = {
      Imp("./models", 1, {"User"}),  Imp("./config", 2, {"Config"}),
      Imp("./db", 3, {"Row", "Db"}), Imp("./named-type", 4, {"type"}),
      Imp("./ids", 5, {"Id"}),       Imp("fs", 6),
  };
  EXPECT_EQ(ParseImports("typescript", src), want);
}

TEST(ParseImportsJs, RequireAndDynamicImport) {
  const std::string src =
      "const a = require('a');\n"
      "const { b } = require(\"b/sub\");\n"
      "const lazy = await import('./lazy');\n"
      "const c = require(name);\n"
      "const d = require('./d' + suffix);\n"
      "const e = loader.require('e');\n"
      "const url = import.meta.url;\n"
      "const t = `${require('in-template')}`;\n";
  EXPECT_EQ(
      ParseImports("javascript", src),
      (std::vector<Import>{Imp("a", 1), Imp("b/sub", 2), Imp("./lazy", 3), Imp("in-template", 8)}));
}

TEST(ParseImportsJs, CommentsStringsTemplatesAndRegexesAreNotImports) {
  const std::string src =
      "// import a from 'line-comment';\n"
      "/* require('block-comment')\n import b from 'b' */\n"
      "const s = \"import c from 'in-string'\";\n"
      "const t = `\n import d from 'in-template'\n`;\n"
      "const re = /['\"`]/g; import real from 'real';\n"
      "export { local };\n"
      "export const value = 1;\n"
      "obj = { import: 1 };\n";
  EXPECT_EQ(ParseImports("javascript", src), (std::vector<Import>{Imp("real", 8, {"real"})}));
}

// ---------------------------------------------------------------------------------------------
// Go

TEST(ParseImportsGo, SingleGroupedAndAliased) {
  const std::string src =
      "// Package store keeps rows.\n"           // 1
      "package store\n"                          // 2
      "\n"                                       // 3
      "import \"fmt\"\n"                         // 4
      "import str \"strings\"\n"                 // 5
      "import (\n"                               // 6
      "\t\"net/http\"\n"                         // 7
      "\t_ \"github.com/lib/pq\" // driver\n"    // 8
      "\t. \"math\"\n"                           // 9
      "\tdb \"example.com/shop/internal/db\"\n"  // 10
      "\t/* \"commented/out\" */\n"              // 11
      "\t`raw/path`\n"                           // 12
      ")\n"                                      // 13
      "\n"
      "var s = \"import \\\"not/an/import\\\"\"\n"
      "func main() {}\n";
  const std::vector<Import> want = {
      Imp("fmt", 4),       Imp("strings", 5),
      Imp("net/http", 7),  Imp("github.com/lib/pq", 8),
      Imp("math", 9),      Imp("example.com/shop/internal/db", 10),
      Imp("raw/path", 12),
  };
  EXPECT_EQ(ParseImports("go", src), want);
}

TEST(ParseImportsGo, StopsAtTheFirstDeclaration) {
  EXPECT_EQ(Targets(ParseImports("go", "package a\nimport \"x\"\nfunc f() {}\nimport \"late\"\n")),
            Names{"x"});
  EXPECT_EQ(Targets(ParseImports("go", "package a\ntype T int\nimport \"late\"\n")), Names{});
}

// ---------------------------------------------------------------------------------------------
// Java and Kotlin

TEST(ParseImportsJava, PlainStaticAndWildcard) {
  const std::string src =
      "/* Licence: import not.This; */\n"
      "package com.acme.shop;\n"
      "\n"
      "import java.util.List;\n"
      "import static org.junit.Assert.assertEquals;\n"
      "import com.acme.util.*;\n"
      "import static com.acme.Money.*;\n"
      "// import commented.Out;\n"
      "\n"
      "public class Cart {\n"
      "  String s = \"import in.String;\";\n"
      "  String block = \"\"\"\n    import in.TextBlock;\n    \"\"\";\n"
      "}\n";
  const std::vector<Import> want = {
      Imp("java.util.List", 4),
      Imp("org.junit.Assert.assertEquals", 5),
      Imp("com.acme.util.*", 6),
      Imp("com.acme.Money.*", 7),
  };
  EXPECT_EQ(ParseImports("java", src), want);
}

TEST(ParseImportsKotlin, NoSemicolonsAliasesAndRawStrings) {
  const std::string src =
      "@file:JvmName(\"Main\")\n"                                // 1
      "package com.acme.app\n"                                   // 2
      "\n"                                                       // 3
      "import com.acme.shop.Cart\n"                              // 4
      "import com.acme.shop.Order as ShopOrder\n"                // 5
      "import kotlinx.coroutines.*\n"                            // 6
      "import com.acme.`in`.Thing\n"                             // 7
      "/* import hidden.A /* nested */ import hidden.B */\n"     // 8
      "val banner = \"\"\"\nimport in.Raw\n\"\"\"\n"             // 9
      "val greeting = \"import ${name} in.Template\"\n"          // 12
      "val r = a import b  // an infix function named import\n"  // 13
      "fun main() { val import = 1 }\n";                         // 14
  const std::vector<Import> want = {
      Imp("com.acme.shop.Cart", 4),
      Imp("com.acme.shop.Order", 5),
      Imp("kotlinx.coroutines.*", 6),
      Imp("com.acme.in.Thing", 7),
  };
  EXPECT_EQ(ParseImports("kotlin", src), want);
}

TEST(DeclaredPackage, JavaKotlinAndGo) {
  EXPECT_EQ(DeclaredPackage("java", "// header\n@Generated\npackage com.acme.shop;\nclass A {}"),
            "com.acme.shop");
  EXPECT_EQ(DeclaredPackage("kotlin", "@file:JvmName(\"X\")\npackage com.acme.app\n"),
            "com.acme.app");
  EXPECT_EQ(DeclaredPackage("go", "//go:build linux\n\n/* doc */\npackage store\n"), "store");
  EXPECT_EQ(DeclaredPackage("java", "import a.B;\nclass C {}\n"), "");
  EXPECT_EQ(DeclaredPackage("java", "/* package not.this; */ class C { String package; }"), "");
  EXPECT_EQ(DeclaredPackage("go", "var x = 1\npackage late\n"), "");
  EXPECT_EQ(DeclaredPackage("python", "package = 1\n"), "");
}

// ---------------------------------------------------------------------------------------------
// Rust

TEST(ParseImportsRust, UseTreesFlattenToTheirPrefixes) {
  const std::string src =
      "use std::collections::HashMap;\n"        // 1
      "use crate::store::{Db, Row};\n"          // 2
      "use a::{b::{c, d}, e, f::G};\n"          // 3
      "pub use self::inner::Thing as Other;\n"  // 4
      "pub(crate) use super::*;\n"              // 5
      "use x::{self, y as z};\n"                // 6
      "use ::anyhow::Result;\n"                 // 7
      "use {p, q::R};\n";                       // 8
  const std::vector<Import> want = {
      Imp("std::collections::HashMap", 1),
      Imp("crate::store", 2, {"Db", "Row"}),
      Imp("a", 3, {"e"}),
      Imp("a::b", 3, {"c", "d"}),
      Imp("a::f::G", 3),
      Imp("self::inner::Thing", 4),
      Imp("super", 5),
      Imp("x", 6, {"y"}),
      Imp("anyhow::Result", 7),
      Imp("p", 8),
      Imp("q::R", 8),
  };
  EXPECT_EQ(ParseImports("rust", src), want);
}

TEST(ParseImportsRust, ExternCrateAndFileModules) {
  const std::string src =
      "extern crate serde;\n"
      "extern crate foo as bar;\n"
      "mod util;\n"
      "pub mod api;\n"
      "mod tests {\n    use super::*;\n}\n";
  EXPECT_EQ(ParseImports("rust", src),
            (std::vector<Import>{Imp("serde", 1), Imp("foo", 2), Imp("self::util", 3),
                                 Imp("self::api", 4), Imp("super", 6)}));
}

TEST(ParseImportsRust, CharsLifetimesRawStringsAndNestedComments) {
  const std::string src =
      "fn f<'a>(x: &'a str) -> char { let _ = 'static_label: loop {}; '\"' }\n"
      "const S: &str = r##\"use fake::one; \"# still raw\"##;\n"
      "const B: &[u8] = b\"use fake::two;\";\n"
      "/* outer /* inner */ use fake::three; */\n"
      "fn g() -> char { '\\'' }\n"
      "use real::Thing;\n";
  EXPECT_EQ(ParseImports("rust", src), (std::vector<Import>{Imp("real::Thing", 6)}));
}

// ---------------------------------------------------------------------------------------------
// C and C++

TEST(ParseImportsC, IncludesOnPreprocessorLinesOnly) {
  const std::string src =
      "#include \"db/conn.h\"\n"                               // 1
      "#include <vector>\n"                                    // 2
      "#  include <stdio.h>\n"                                 // 3
      "#import <Foundation/Foundation.h>\n"                    // 4
      "// #include \"commented.h\"\n"                          // 5
      "/* #include \"block.h\"\n#include \"block2.h\" */\n"    // 6
      "const char* s = \"#include \\\"string.h\\\"\";\n"       // 8
      "auto raw = R\"x(\n#include \"raw.h\"\n)x\";\n"          // 9
      "#include CONFIG_HEADER\n"                               // 12
      "int n = 1'000'000; #include \"not_at_line_start.h\"\n"  // 13
      "#define LONG \\\n  #include \"spliced.h\"\n"            // 14
      "/* c */ #include \"after_comment.h\"\n";                // 16
  const std::vector<Import> want = {
      Include("db/conn.h", 1, true),        Include("vector", 2, false),
      Include("stdio.h", 3, false),         Include("Foundation/Foundation.h", 4, false),
      Include("after_comment.h", 16, true),
  };
  EXPECT_EQ(ParseImports("cpp", src), want);
  EXPECT_EQ(ParseImports("c", "#include <curl/curl.h>\n"),
            (std::vector<Import>{Include("curl/curl.h", 1, false)}));
}

// ---------------------------------------------------------------------------------------------
// Robustness

TEST(ParseImports, UnknownLanguageGivesNothing) {
  EXPECT_TRUE(ParseImports("cobol", "import x\n#include <y>\n").empty());
  EXPECT_TRUE(ParseImports("", "import x\n").empty());
}

TEST(ParseImports, RandomBytesNeverBreakAnyScanner) {
  std::mt19937 rng(20240611);
  std::uniform_int_distribution<int> byte(0, 255);
  for (int round = 0; round < 20; ++round) {
    std::string garbage(64 * 1024, '\0');
    for (char& c : garbage) c = static_cast<char>(byte(rng));
    for (const char* language : kLanguages) {
      std::vector<Import> imports = ParseImports(language, garbage);
      EXPECT_LE(imports.size(), 10000u) << language;
      (void)DeclaredPackage(language, garbage);
    }
  }
}

TEST(ParseImports, InvalidUtf8AndNulBytesAroundRealImports) {
  const std::string junk("\xff\xfe\xc3\x28\xa0\xa1\xe2\x82\x00\x01", 10);
  EXPECT_EQ(Targets(ParseImports("python", junk + "\nimport ok\n")), Names{"ok"});
  EXPECT_EQ(Targets(ParseImports("javascript", junk + "\nimport x from 'ok';\n")), Names{"ok"});
  EXPECT_EQ(Targets(ParseImports("go", "package a\n" + junk + "\nimport \"ok\"\n")), Names{"ok"});
  EXPECT_EQ(Targets(ParseImports("java", junk + "\nimport a.Ok;\n")), Names{"a.Ok"});
  EXPECT_EQ(Targets(ParseImports("rust", junk + "\nuse a::ok;\n")), Names{"a::ok"});
  EXPECT_EQ(Targets(ParseImports("c", junk + "\n#include \"ok.h\"\n")), Names{"ok.h"});
  // A byte order mark must not glue itself to the first keyword.
  EXPECT_EQ(DeclaredPackage("java", "\xEF\xBB\xBFpackage a.b;"), "a.b");
}

TEST(ParseImports, UnterminatedCommentsAndStringsEndTheScan) {
  EXPECT_TRUE(ParseImports("javascript", "/* never closed\nimport x from 'y';\n").empty());
  EXPECT_TRUE(ParseImports("rust", "/* /* */ use a::b;\n").empty());
  EXPECT_TRUE(ParseImports("c", "/* open\n#include <x.h>\n").empty());
  EXPECT_TRUE(ParseImports("kotlin", "val s = \"\"\"\nimport a.B\n").empty());
  EXPECT_TRUE(ParseImports("go", "package a\nvar s = `\nimport \"x\"\n").empty());
  EXPECT_TRUE(ParseImports("javascript", "const t = `${\nimport x from 'y';\n").size() <= 1);
  // Strings that may not span lines stop at the newline instead.
  EXPECT_EQ(Targets(ParseImports("c", "char c = '\n#include \"ok.h\"\n")), Names{"ok.h"});
}

TEST(ParseImports, HugeAndDeeplyNestedInputsFinish) {
  const size_t kTenMegabytes = 10u << 20;
  const std::vector<std::string> inputs = {
      std::string(kTenMegabytes, 'a'),  std::string(kTenMegabytes, '{'),
      std::string(kTenMegabytes, '('),  std::string(kTenMegabytes, '"'),
      std::string(kTenMegabytes, '\''), std::string(kTenMegabytes, '/'),
  };
  for (const std::string& input : inputs)
    for (const char* language : kLanguages)
      EXPECT_TRUE(ParseImports(language, input).empty()) << language << " " << input[0];

  std::string use_tree = "use a";
  while (use_tree.size() < kTenMegabytes) use_tree += "::{b";
  EXPECT_TRUE(ParseImports("rust", use_tree).empty());
  std::string templates;
  while (templates.size() < kTenMegabytes) templates += "`${";
  EXPECT_TRUE(ParseImports("javascript", templates).empty());
  std::string kotlin_strings;
  while (kotlin_strings.size() < kTenMegabytes) kotlin_strings += "\"${";
  EXPECT_TRUE(ParseImports("kotlin", kotlin_strings).empty());
  std::string names = "from x import (";
  while (names.size() < kTenMegabytes) names += "n, ";
  std::vector<Import> from = ParseImports("python", names);
  ASSERT_EQ(from.size(), 1u);
  EXPECT_EQ(from[0].names.size(), 10000u);
}

TEST(ParseImports, AtMostTenThousandPerFile) {
  std::string python, js, c;
  for (int i = 0; i < 12000; ++i) {
    python += "import m" + std::to_string(i) + "\n";
    js += "require('m" + std::to_string(i) + "');";
    c += "#include <m" + std::to_string(i) + ".h>\n";
  }
  EXPECT_EQ(ParseImports("python", python).size(), 10000u);
  EXPECT_EQ(ParseImports("javascript", js).size(), 10000u);
  EXPECT_EQ(ParseImports("c", c).size(), 10000u);
  EXPECT_EQ(ParseImports("python", python).back().target, "m9999");
}

// ---------------------------------------------------------------------------------------------
// Resolution: Python

class PythonResolution : public ::testing::Test {
 protected:
  ImportResolver resolver_{
      Paths{"src/shop/__init__.py", "src/shop/cart.py", "src/shop/pricing/__init__.py",
            "src/shop/pricing/rules.py", "scripts/tool.py", "scripts/helpers.py",
            "tools/helpers.py", "setup.py", "ns/plugins/extra.py", "README.md"},
      ""};
};

TEST_F(PythonResolution, ModuleNamesFollowPackageFolders) {
  EXPECT_EQ(resolver_.PythonModuleName("src/shop/cart.py"), "shop.cart");
  EXPECT_EQ(resolver_.PythonModuleName("src/shop/pricing/__init__.py"), "shop.pricing");
  EXPECT_EQ(resolver_.PythonModuleName("src/shop/pricing/rules.py"), "shop.pricing.rules");
  EXPECT_EQ(resolver_.PythonModuleName("scripts/tool.py"), "tool");
  EXPECT_EQ(resolver_.PythonModuleName("setup.py"), "setup");
  EXPECT_EQ(resolver_.PythonModuleName("README.md"), "");
}

TEST_F(PythonResolution, AbsoluteImports) {
  const std::string from = "src/shop/pricing/rules.py";
  EXPECT_EQ(resolver_.Resolve("python", from, Imp("shop.cart", 1)), Paths{"src/shop/cart.py"});
  EXPECT_EQ(resolver_.Resolve("python", from, Imp("shop", 1, {"cart"})), Paths{"src/shop/cart.py"});
  EXPECT_EQ(resolver_.Resolve("python", from, Imp("shop.cart", 1, {"Cart"})),
            Paths{"src/shop/cart.py"});
  // A name that is not a submodule is something the package itself defines.
  EXPECT_EQ(resolver_.Resolve("python", from, Imp("shop", 1, {"pricing", "VERSION"})),
            (Paths{"src/shop/pricing/__init__.py", "src/shop/__init__.py"}));
  EXPECT_EQ(resolver_.Resolve("python", from, Imp("shop.cart.Cart", 1)), Paths{"src/shop/cart.py"});
  EXPECT_EQ(resolver_.Resolve("python", "setup.py", Imp("ns.plugins.extra", 1)),
            Paths{"ns/plugins/extra.py"});
  EXPECT_TRUE(resolver_.Resolve("python", from, Imp("requests", 1)).empty());
}

TEST_F(PythonResolution, SameNamedScriptsPreferTheImportersFolder) {
  EXPECT_EQ(resolver_.Resolve("python", "scripts/tool.py", Imp("helpers", 1)),
            Paths{"scripts/helpers.py"});
}

TEST_F(PythonResolution, RelativeImports) {
  EXPECT_EQ(resolver_.Resolve("python", "src/shop/cart.py", Imp("", 1, {"pricing"}, 1)),
            Paths{"src/shop/pricing/__init__.py"});
  EXPECT_EQ(resolver_.Resolve("python", "src/shop/cart.py", Imp("pricing.rules", 1, {"f"}, 1)),
            Paths{"src/shop/pricing/rules.py"});
  EXPECT_EQ(resolver_.Resolve("python", "src/shop/pricing/rules.py", Imp("cart", 1, {"C"}, 2)),
            Paths{"src/shop/cart.py"});
  EXPECT_EQ(resolver_.Resolve("python", "src/shop/pricing/rules.py", Imp("", 1, {"x"}, 1)),
            Paths{"src/shop/pricing/__init__.py"});
  EXPECT_TRUE(resolver_.Resolve("python", "setup.py", Imp("x", 1, {"y"}, 2)).empty());
}

TEST_F(PythonResolution, ExternalPackages) {
  const std::string from = "src/shop/cart.py";
  EXPECT_EQ(resolver_.ExternalPackage("python", from, Imp("requests.adapters", 1)), "requests");
  EXPECT_EQ(resolver_.ExternalPackage("python", from, Imp("numpy", 1, {"array"})), "numpy");
  EXPECT_EQ(resolver_.ExternalPackage("python", from, Imp("os.path", 1)), "");
  EXPECT_EQ(resolver_.ExternalPackage("python", from, Imp("collections.abc", 1)), "");
  EXPECT_EQ(resolver_.ExternalPackage("python", from, Imp("tomllib", 1)), "");
  EXPECT_EQ(resolver_.ExternalPackage("python", from, Imp("shop", 1, {"cart"})), "");
  EXPECT_EQ(resolver_.ExternalPackage("python", from, Imp("missing", 1, {"x"}, 1)), "");
}

// ---------------------------------------------------------------------------------------------
// Resolution: JavaScript and TypeScript

class JsResolution : public ::testing::Test {
 protected:
  ImportResolver resolver_{
      Paths{"web/src/app.ts", "web/src/util.ts", "web/src/components/index.tsx",
            "web/src/lib/api.js", "web/src/legacy.mjs", "web/src/styles.css", "web/src/views.ts",
            "web/src/views/index.ts"},
      ""};
  const std::string from_ = "web/src/app.ts";
};

TEST_F(JsResolution, RelativeSpecifiersProbeExtensionsAndIndexFiles) {
  EXPECT_EQ(resolver_.Resolve("typescript", from_, Imp("./util", 1)), Paths{"web/src/util.ts"});
  EXPECT_EQ(resolver_.Resolve("typescript", from_, Imp("./components", 1)),
            Paths{"web/src/components/index.tsx"});
  EXPECT_EQ(resolver_.Resolve("javascript", from_, Imp("./lib/api", 1)),
            Paths{"web/src/lib/api.js"});
  EXPECT_EQ(resolver_.Resolve("typescript", from_, Imp("./util.js", 1)), Paths{"web/src/util.ts"});
  EXPECT_EQ(resolver_.Resolve("javascript", "web/src/lib/api.js", Imp("../legacy.mjs", 1)),
            Paths{"web/src/legacy.mjs"});
  EXPECT_EQ(resolver_.Resolve("typescript", from_, Imp("./styles.css", 1)),
            Paths{"web/src/styles.css"});
  // A file wins over a folder of the same name, as in Node's resolution.
  EXPECT_EQ(resolver_.Resolve("typescript", from_, Imp("./views", 1)), Paths{"web/src/views.ts"});
  EXPECT_EQ(resolver_.Resolve("typescript", "web/src/views/index.ts", Imp("..", 1)),
            Paths{});  // web/src has no index file
  EXPECT_EQ(resolver_.Resolve("typescript", "web/src/lib/api.js", Imp("../components", 1)),
            Paths{"web/src/components/index.tsx"});
  EXPECT_TRUE(resolver_.Resolve("typescript", from_, Imp("./missing", 1)).empty());
  EXPECT_TRUE(resolver_.Resolve("typescript", from_, Imp("../../../../outside", 1)).empty());
  EXPECT_TRUE(resolver_.Resolve("typescript", from_, Imp("util", 1)).empty());
}

TEST_F(JsResolution, ExternalPackages) {
  EXPECT_EQ(resolver_.ExternalPackage("javascript", from_, Imp("lodash/fp", 1)), "lodash");
  EXPECT_EQ(resolver_.ExternalPackage("javascript", from_, Imp("@scope/pkg/sub", 1)), "@scope/pkg");
  EXPECT_EQ(resolver_.ExternalPackage("typescript", from_, Imp("react", 1)), "react");
  EXPECT_EQ(resolver_.ExternalPackage("javascript", from_, Imp("fs", 1)), "");
  EXPECT_EQ(resolver_.ExternalPackage("javascript", from_, Imp("fs/promises", 1)), "");
  EXPECT_EQ(resolver_.ExternalPackage("javascript", from_, Imp("child_process", 1)), "");
  EXPECT_EQ(resolver_.ExternalPackage("javascript", from_, Imp("node:test", 1)), "");
  EXPECT_EQ(resolver_.ExternalPackage("javascript", from_, Imp("./util", 1)), "");
  EXPECT_EQ(resolver_.ExternalPackage("javascript", from_, Imp("./missing", 1)), "");
}

// ---------------------------------------------------------------------------------------------
// Resolution: Go

TEST(GoResolution, ModulePathsMapToPackageFolders) {
  const ImportResolver resolver(
      Paths{"go.mod", "main.go", "internal/store/db.go", "internal/store/db_test.go",
            "internal/store/rows.go", "internal/store/README.md", "internal/store/sub/x.go"},
      "example.com/shop");
  EXPECT_EQ(resolver.Resolve("go", "main.go", Imp("example.com/shop/internal/store", 1)),
            (Paths{"internal/store/db.go", "internal/store/rows.go"}));
  EXPECT_EQ(resolver.Resolve("go", "internal/store/sub/x.go", Imp("example.com/shop", 1)),
            Paths{"main.go"});
  EXPECT_TRUE(resolver.Resolve("go", "main.go", Imp("example.com/shopping/x", 1)).empty());
  EXPECT_TRUE(resolver.Resolve("go", "main.go", Imp("net/http", 1)).empty());

  const ImportResolver no_module(Paths{"internal/store/db.go"}, "");
  EXPECT_TRUE(no_module.Resolve("go", "main.go", Imp("internal/store", 1)).empty());
}

TEST(GoResolution, ExternalPackages) {
  const ImportResolver resolver(Paths{"go.mod", "main.go"}, "example.com/shop");
  auto external = [&](const std::string& path) {
    return resolver.ExternalPackage("go", "main.go", Imp(path, 1));
  };
  EXPECT_EQ(external("net/http"), "");
  EXPECT_EQ(external("C"), "");
  EXPECT_EQ(external("example.com/shop/internal/missing"), "");
  EXPECT_EQ(external("github.com/lib/pq"), "github.com/lib/pq");
  EXPECT_EQ(external("github.com/aws/aws-sdk-go/service/s3"), "github.com/aws/aws-sdk-go");
  EXPECT_EQ(external("gitlab.com/a/b/c"), "gitlab.com/a/b");
  EXPECT_EQ(external("golang.org/x/net/context"), "golang.org/x/net");
  EXPECT_EQ(external("google.golang.org/grpc/codes"), "google.golang.org/grpc");
  EXPECT_EQ(external("gopkg.in/yaml.v3"), "gopkg.in/yaml.v3");
  EXPECT_EQ(external("go.uber.org/zap/zapcore"), "go.uber.org/zap/zapcore");
}

// ---------------------------------------------------------------------------------------------
// Resolution: Java and Kotlin

class JvmResolution : public ::testing::Test {
 protected:
  ImportResolver resolver_{Paths{"app/src/main/java/com/acme/shop/Cart.java",
                                 "app/src/main/java/com/acme/shop/Order.java",
                                 "app/src/main/java/com/acme/shop/util/Money.kt",
                                 "app/src/main/java/com/acme/App.java", "legacy/Weird.java"},
                           "",
                           {{"legacy/Weird.java", "com.acme.odd"}}};
  const std::string from_ = "app/src/main/java/com/acme/App.java";
};

TEST_F(JvmResolution, ClassesByPathSuffix) {
  EXPECT_EQ(resolver_.Resolve("java", from_, Imp("com.acme.shop.Cart", 1)),
            Paths{"app/src/main/java/com/acme/shop/Cart.java"});
  EXPECT_EQ(resolver_.Resolve("kotlin", from_, Imp("com.acme.shop.util.Money", 1)),
            Paths{"app/src/main/java/com/acme/shop/util/Money.kt"});
  // Static members and nested classes live in the outer class's file.
  EXPECT_EQ(resolver_.Resolve("java", from_, Imp("com.acme.shop.Cart.total", 1)),
            Paths{"app/src/main/java/com/acme/shop/Cart.java"});
  EXPECT_EQ(resolver_.Resolve("java", from_, Imp("com.acme.shop.Cart.Line.Item", 1)),
            Paths{"app/src/main/java/com/acme/shop/Cart.java"});
  EXPECT_EQ(resolver_.Resolve("java", from_, Imp("com.acme.shop.Cart.*", 1)),
            Paths{"app/src/main/java/com/acme/shop/Cart.java"});
  EXPECT_TRUE(resolver_.Resolve("java", from_, Imp("org.acme.shop.Cart", 1)).empty());
  EXPECT_TRUE(resolver_.Resolve("java", from_, Imp("java.util.List", 1)).empty());
}

TEST_F(JvmResolution, WildcardsNameEveryFileOfThePackage) {
  EXPECT_EQ(resolver_.Resolve("java", from_, Imp("com.acme.shop.*", 1)),
            (Paths{"app/src/main/java/com/acme/shop/Cart.java",
                   "app/src/main/java/com/acme/shop/Order.java"}));
}

TEST_F(JvmResolution, DeclaredPackagesOverrideFolders) {
  EXPECT_EQ(resolver_.Resolve("java", from_, Imp("com.acme.odd.Weird", 1)),
            Paths{"legacy/Weird.java"});
  EXPECT_EQ(resolver_.Resolve("java", from_, Imp("com.acme.odd.*", 1)), Paths{"legacy/Weird.java"});
  EXPECT_TRUE(resolver_.Resolve("java", from_, Imp("legacy.Weird", 1)).empty());
}

TEST_F(JvmResolution, ExternalPackages) {
  auto external = [&](const char* language, const std::string& target) {
    return resolver_.ExternalPackage(language, from_, Imp(target, 1));
  };
  EXPECT_EQ(external("java", "org.springframework.web.bind.annotation.RestController"),
            "org.springframework.web.bind.annotation");
  EXPECT_EQ(external("java", "org.junit.Assert.assertEquals"), "org.junit");
  EXPECT_EQ(external("java", "com.google.common.collect.*"), "com.google.common.collect");
  EXPECT_EQ(external("kotlin", "kotlinx.coroutines.launch"), "kotlinx.coroutines");
  EXPECT_EQ(external("java", "java.util.List"), "");
  EXPECT_EQ(external("java", "javax.inject.Inject"), "");
  EXPECT_EQ(external("kotlin", "kotlin.collections.List"), "");
  EXPECT_EQ(external("java", "com.acme.shop.Cart"), "");
  // A top-level Kotlin function of one of our packages.
  EXPECT_EQ(external("kotlin", "com.acme.shop.util.formatMoney"), "");
}

// ---------------------------------------------------------------------------------------------
// Resolution: Rust

class RustResolution : public ::testing::Test {
 protected:
  ImportResolver resolver_{
      Paths{"Cargo.toml", "src/lib.rs", "src/store.rs", "src/store/rows.rs", "src/api/mod.rs",
            "src/api/handlers.rs", "crates/shared-types/Cargo.toml",
            "crates/shared-types/src/lib.rs", "crates/shared-types/src/ids.rs"},
      ""};

  Paths Resolve(const std::string& from, Import imp) const {
    return resolver_.Resolve("rust", from, imp);
  }
};

TEST_F(RustResolution, ModDeclarationsFindFileModules) {
  EXPECT_EQ(Resolve("src/lib.rs", Imp("self::store", 1)), Paths{"src/store.rs"});
  EXPECT_EQ(Resolve("src/lib.rs", Imp("self::api", 1)), Paths{"src/api/mod.rs"});
  EXPECT_EQ(Resolve("src/store.rs", Imp("self::rows", 1)), Paths{"src/store/rows.rs"});
  EXPECT_EQ(Resolve("src/api/mod.rs", Imp("self::handlers", 1)), Paths{"src/api/handlers.rs"});
  EXPECT_TRUE(Resolve("src/lib.rs", Imp("self::missing", 1)).empty());
}

TEST_F(RustResolution, CrateSelfAndSuperPaths) {
  const std::string handlers = "src/api/handlers.rs";
  EXPECT_EQ(Resolve(handlers, Imp("crate::store", 1, {"Db", "Row"})), Paths{"src/store.rs"});
  EXPECT_EQ(Resolve(handlers, Imp("crate::store::rows::Row", 1)), Paths{"src/store/rows.rs"});
  EXPECT_EQ(Resolve(handlers, Imp("crate", 1, {"store", "api"})),
            (Paths{"src/store.rs", "src/api/mod.rs"}));
  EXPECT_EQ(Resolve(handlers, Imp("crate::Config", 1)), Paths{"src/lib.rs"});
  EXPECT_EQ(Resolve(handlers, Imp("super::Router", 1)), Paths{"src/api/mod.rs"});
  EXPECT_EQ(Resolve(handlers, Imp("super::super::store::Db", 1)), Paths{"src/store.rs"});
  EXPECT_EQ(Resolve("src/store/rows.rs", Imp("super", 1)), Paths{"src/store.rs"});
  EXPECT_EQ(Resolve("src/store.rs", Imp("super::api", 1)), Paths{"src/api/mod.rs"});
  EXPECT_TRUE(Resolve("src/lib.rs", Imp("super::x", 1)).empty());
  // 2018 paths naming a module in scope.
  EXPECT_EQ(Resolve("src/lib.rs", Imp("store::Db", 1)), Paths{"src/store.rs"});
}

TEST_F(RustResolution, WorkspaceCratesAndExternalCrates) {
  EXPECT_EQ(Resolve("src/lib.rs", Imp("shared_types::ids::UserId", 1)),
            Paths{"crates/shared-types/src/ids.rs"});
  EXPECT_EQ(Resolve("src/lib.rs", Imp("shared_types", 1)), Paths{"crates/shared-types/src/lib.rs"});
  auto external = [&](const std::string& target) {
    return resolver_.ExternalPackage("rust", "src/lib.rs", Imp(target, 1));
  };
  EXPECT_EQ(external("serde::Serialize"), "serde");
  EXPECT_EQ(external("tokio::sync"), "tokio");
  EXPECT_EQ(external("anyhow::Result"), "anyhow");
  EXPECT_EQ(external("std::collections::HashMap"), "");
  EXPECT_EQ(external("core::fmt"), "");
  EXPECT_EQ(external("alloc::vec"), "");
  EXPECT_EQ(external("crate::missing::X"), "");
  EXPECT_EQ(external("self::missing"), "");
  EXPECT_EQ(external("shared_types::ids"), "");
}

// ---------------------------------------------------------------------------------------------
// Resolution: C and C++

class CResolution : public ::testing::Test {
 protected:
  ImportResolver resolver_{
      Paths{"src/db/conn.h", "src/db/conn.cc", "src/db/pool.h", "src/db/util.h", "src/util.h",
            "include/acme/api.h", "third_party/json/json.hpp", "a/common.h", "b/common.h"},
      ""};
  const std::string from_ = "src/db/conn.cc";

  Paths Resolve(const std::string& header, bool local) const {
    return resolver_.Resolve("cpp", from_, Include(header, 1, local));
  }
  std::string External(const std::string& header, bool local) const {
    return resolver_.ExternalPackage("cpp", from_, Include(header, 1, local));
  }
};

TEST_F(CResolution, LocalIncludesRelativeThenRootThenUniqueSuffix) {
  EXPECT_EQ(Resolve("conn.h", true), Paths{"src/db/conn.h"});
  EXPECT_EQ(Resolve("util.h", true), Paths{"src/db/util.h"});  // beside the includer first
  EXPECT_EQ(Resolve("../util.h", true), Paths{"src/util.h"});
  EXPECT_EQ(Resolve("src/util.h", true), Paths{"src/util.h"});    // then from the root
  EXPECT_EQ(Resolve("db/pool.h", true), Paths{"src/db/pool.h"});  // then a unique suffix
  EXPECT_TRUE(Resolve("common.h", true).empty());                 // two candidates: ambiguous
  EXPECT_TRUE(Resolve("missing.h", true).empty());
}

TEST_F(CResolution, AngleIncludes) {
  EXPECT_EQ(Resolve("acme/api.h", false), Paths{"include/acme/api.h"});
  EXPECT_EQ(Resolve("json.hpp", false), Paths{"third_party/json/json.hpp"});
  EXPECT_TRUE(Resolve("vector", false).empty());
  EXPECT_TRUE(Resolve("curl/curl.h", false).empty());
}

TEST_F(CResolution, ExternalHeaders) {
  EXPECT_EQ(External("curl/curl.h", false), "curl/curl.h");
  EXPECT_EQ(External("pqxx/pqxx", false), "pqxx/pqxx");
  EXPECT_EQ(External("vector", false), "");
  EXPECT_EQ(External("stdio.h", false), "");
  EXPECT_EQ(External("cstdint", false), "");
  EXPECT_EQ(External("unistd.h", false), "");
  EXPECT_EQ(External("pthread.h", false), "");
  EXPECT_EQ(External("sys/socket.h", false), "");
  EXPECT_EQ(External("acme/api.h", false), "");
  EXPECT_EQ(External("missing.h", true), "");
}

TEST(ImportResolver, UnknownLanguagesAndEmptyRepositories) {
  const ImportResolver empty({}, "");
  EXPECT_TRUE(empty.Resolve("cobol", "a.cob", Imp("x", 1)).empty());
  EXPECT_EQ(empty.ExternalPackage("cobol", "a.cob", Imp("x", 1)), "");
  EXPECT_TRUE(empty.Resolve("python", "a.py", Imp("x", 1)).empty());
  EXPECT_EQ(empty.PythonModuleName("a.py"), "a");
}

}  // namespace
}  // namespace slipway::code
