// Option tables (core/options.hpp): declarations, defaults, value checks, field checks.
#include <gtest/gtest.h>

#include <cmath>

#include "fluxion/core/options.hpp"

using namespace fluxion;

namespace {

enum class Shape { round, square };

struct Inner {
  int steps = 3;
};

struct Demo {
  int count = 20;
  double fraction = 1.0;
  double sd = 0.0;  // 0 = not given (outside its declared range on purpose)
  std::size_t size = 512;
  bool fast = false;
  std::string mode = "a";
  std::vector<std::string> ids;
  Shape shape = Shape::round;
  Inner inner;

  static const OptionTable<Demo>& table() {
    static const OptionTable<Demo> t = [] {
      OptionTable<Demo> t;
      t.add("count", &Demo::count, "How many").range(0, 100).label("Count").web();
      t.add("fraction", &Demo::fraction, "A share").range(0.0, 1.0);
      t.add("sd", &Demo::sd, "A deviation").range(1e-9, 1.0).no_default();
      t.add("size", &Demo::size, "A size");
      t.add("fast", &Demo::fast, "Go fast").web("Advanced");
      t.add("mode", &Demo::mode, "A or B").choices({"a", "b"});
      t.add("ids", &Demo::ids, "Some ids").choices({"x", "y"});
      t.add_enum("shape", &Demo::shape, {{"round", Shape::round}, {"square", Shape::square}}, "A shape");
      t.add_nested("steps", &Demo::inner, &Inner::steps, "Inner steps").range(1, 10);
      return t;
    }();
    return t;
  }
};

const OptionInfo& info(const std::string& name) {
  static const auto infos = Demo::table().infos();
  for (const auto& i : infos)
    if (i.name == name) return i;
  throw std::runtime_error("no option " + name);
}

}  // namespace

TEST(OptionTable, DeclarationsCarryTypesDefaultsAndWebMarks) {
  EXPECT_EQ(info("count").type, "integer");
  EXPECT_EQ(info("count").default_value, "20");
  EXPECT_EQ(info("count").label, "Count");
  EXPECT_TRUE(info("count").web);
  EXPECT_EQ(info("fraction").type, "number");
  EXPECT_EQ(info("fraction").default_value, "1");
  EXPECT_EQ(info("sd").default_value, "");  // no_default
  EXPECT_EQ(info("size").minimum, 0.0);     // unsigned
  EXPECT_EQ(info("fast").kind, OptionKind::flag);
  EXPECT_EQ(info("fast").type, "boolean");
  EXPECT_EQ(info("fast").group, "Advanced");
  EXPECT_EQ(info("ids").kind, OptionKind::list);
  EXPECT_EQ(info("shape").choices, (std::vector<std::string>{"round", "square"}));
  EXPECT_EQ(info("shape").default_value, "round");
  EXPECT_EQ(info("steps").type, "integer");
  EXPECT_EQ(info("steps").default_value, "3");
}

TEST(OptionTable, ValuesAreCheckedAsTheCommandLineChecksThem) {
  EXPECT_EQ(check_option_value(info("count"), "7"), "");
  EXPECT_EQ(check_option_value(info("count"), "101"), "must be between 0 and 100, not 101");
  EXPECT_EQ(check_option_value(info("count"), "1.5"), "'1.5' is not a whole number");
  EXPECT_EQ(check_option_value(info("fraction"), "2"), "must be between 0 and 1, not 2");
  EXPECT_EQ(check_option_value(info("fraction"), "nan"), "'nan' is not a finite number");
  EXPECT_EQ(check_option_value(info("fraction"), "1e999"), "'1e999' is not a finite number");
  EXPECT_EQ(check_option_value(info("fraction"), "half"), "'half' is not a number");
  EXPECT_EQ(check_option_value(info("size"), "-1"), "must be 0 or more, not -1");
  EXPECT_EQ(check_option_value(info("mode"), "c"), "must be one of a, b; not 'c'");
  EXPECT_EQ(check_option_value(info("ids"), "x, y"), "");
  EXPECT_EQ(check_option_value(info("ids"), "x,z"), "must be one of x, y; not 'z'");
  EXPECT_EQ(check_option_value(info("fast"), "maybe"), "'maybe' is not true or false");
}

TEST(OptionTable, FieldsAreCheckedAndNamed) {
  Demo d;
  EXPECT_TRUE(Demo::table().check(d, "demo").empty());  // defaults pass, even sd = 0 outside its range
  d.count = -1;
  d.fraction = std::nan("");
  d.mode = "z";
  d.shape = static_cast<Shape>(7);
  d.inner.steps = 0;
  std::set<std::string> named;
  for (const auto& x : Demo::table().check(d, "demo")) named.insert(x.context);
  EXPECT_EQ(named, (std::set<std::string>{"count", "fraction", "mode", "shape", "steps"}));
}

TEST(OptionTable, CustomFieldsParseAndPrint) {
  Demo d;
  const auto& entries = Demo::table().entries();
  for (const auto& e : entries) {
    if (e.info.name == "shape") {
      const auto& c = std::get<OptionTable<Demo>::Custom>(e.target);
      EXPECT_EQ(c.set(d, "square"), "");
      EXPECT_EQ(d.shape, Shape::square);
      EXPECT_EQ(c.get(d), "square");
      EXPECT_NE(c.set(d, "oval"), "");
    }
    if (e.info.name == "steps") {
      const auto& c = std::get<OptionTable<Demo>::Custom>(e.target);
      EXPECT_EQ(c.set(d, "5"), "");
      EXPECT_EQ(d.inner.steps, 5);
      EXPECT_EQ(c.set(d, "5x"), "'5x' is not a number");
    }
  }
}

TEST(OptionTable, NamedValuesAreSetAsTheCommandLineSetsThem) {
  const auto& t = Demo::table();
  // every default survives the round trip through its text
  for (const auto& e : t.entries()) {
    Demo d;
    const Demo defaults;
    if (e.info.name == "sd") continue;  // 0 = not given lies outside the range on purpose
    const std::string text = OptionTable<Demo>::value_text(defaults, e.target);
    if (e.info.kind == OptionKind::list && text.empty()) continue;
    EXPECT_EQ(t.set_text(d, e.info.name, text), "") << e.info.name;
    EXPECT_EQ(OptionTable<Demo>::value_text(d, e.target), text) << e.info.name;
  }
  Demo d;
  EXPECT_EQ(t.set_text(d, "count", "7"), "");
  EXPECT_EQ(d.count, 7);
  EXPECT_EQ(t.set_text(d, "fast", "true"), "");
  EXPECT_TRUE(d.fast);
  EXPECT_EQ(t.set_text(d, "ids", "x, y,"), "");
  EXPECT_EQ(d.ids, (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(t.set_text(d, "shape", "square"), "");
  EXPECT_EQ(d.shape, Shape::square);
  EXPECT_EQ(t.set_text(d, "steps", "4"), "");
  EXPECT_EQ(d.inner.steps, 4);
  // refused as the command line refuses, and the field keeps its value
  EXPECT_EQ(t.set_text(d, "count", "101"), "must be between 0 and 100, not 101");
  EXPECT_EQ(d.count, 7);
  EXPECT_EQ(t.set_text(d, "fast", ""), "'' is not true or false");
  EXPECT_EQ(t.set_text(d, "fast", "yes"), "'yes' is not true or false");
  EXPECT_EQ(t.set_text(d, "ids", "x,z"), "must be one of x, y; not 'z'");
  EXPECT_EQ(t.set_text(d, "colour", "red"), "is not an option here");
}
