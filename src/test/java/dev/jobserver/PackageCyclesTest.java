package dev.jobserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * No two dev.jobserver packages depend on each other, directly or through others: the packages form
 * layers (job and schedule model, store, engine, service, APIs). A dependency is any mention of a
 * type of another dev.jobserver package in src/main/java — an import (also static or wildcard) or a
 * fully qualified name — so a comment's {@code {@link}} counts too.
 */
class PackageCyclesTest {

  private static final Path SOURCES = Path.of("src/main/java");
  private static final Pattern PACKAGE = Pattern.compile("(?m)^package\\s+([\\w.]+)\\s*;");
  private static final Pattern REFERENCE =
      Pattern.compile("\\b(dev\\.jobserver(?:\\.[a-z]\\w*)*)\\.(?:[A-Z]\\w*|\\*)");

  @Test
  void noCycleBetweenPackages() throws IOException {
    Map<String, Map<String, Set<String>>> deps = dependencies(SOURCES);
    assertTrue(deps.size() > 5, "read the packages of " + SOURCES.toAbsolutePath());
    List<String> cycles = new ArrayList<>();
    for (Set<String> component : stronglyConnected(deps)) {
      if (component.size() > 1) {
        StringBuilder why = new StringBuilder(String.join(" <-> ", component));
        for (String from : component) {
          for (var to : deps.get(from).entrySet()) {
            if (component.contains(to.getKey())) {
              why.append("\n  ").append(from).append(" -> ").append(to.getKey()).append(": ");
              why.append(to.getValue());
            }
          }
        }
        cycles.add(why.toString());
      }
    }
    assertEquals(List.of(), cycles, "package cycles");
  }

  @Test
  void findsACycle() {
    Map<String, Map<String, Set<String>>> deps = new TreeMap<>();
    deps.put("a", Map.of("b", Set.of()));
    deps.put("b", Map.of("c", Set.of()));
    deps.put("c", Map.of("a", Set.of()));
    deps.put("d", Map.of("a", Set.of()));
    List<Set<String>> found = stronglyConnected(deps);
    assertTrue(found.contains(Set.of("a", "b", "c")), found.toString());
    assertTrue(found.contains(Set.of("d")), found.toString());
  }

  @Test
  void readsImportsAndQualifiedNames() {
    Matcher m =
        REFERENCE.matcher(
            "import dev.jobserver.store.JobStore;\nimport static dev.jobserver.job.JobIds.x;\n"
                + "import dev.jobserver.api.common.*;\n{@link dev.jobserver.engine.Run#x}");
    List<String> found = new ArrayList<>();
    while (m.find()) {
      found.add(m.group(1));
    }
    assertEquals(
        List.of(
            "dev.jobserver.store",
            "dev.jobserver.job",
            "dev.jobserver.api.common",
            "dev.jobserver.engine"),
        found);
  }

  /** Package → package it mentions → the files that mention it. */
  static Map<String, Map<String, Set<String>>> dependencies(Path root) throws IOException {
    Map<String, Map<String, Set<String>>> deps = new TreeMap<>();
    List<Path> files;
    try (Stream<Path> walk = Files.walk(root)) {
      files = walk.filter(p -> p.toString().endsWith(".java")).toList();
    }
    for (Path file : files) {
      String source = Files.readString(file);
      Matcher pkg = PACKAGE.matcher(source);
      if (!pkg.find()) {
        continue;
      }
      String from = pkg.group(1);
      Map<String, Set<String>> out = deps.computeIfAbsent(from, k -> new TreeMap<>());
      Matcher ref = REFERENCE.matcher(source);
      while (ref.find()) {
        String to = ref.group(1);
        if (!to.equals(from)) {
          out.computeIfAbsent(to, k -> new TreeSet<>()).add(file.getFileName().toString());
        }
      }
    }
    return deps;
  }

  /** Tarjan's strongly connected components of the package graph. */
  static List<Set<String>> stronglyConnected(Map<String, Map<String, Set<String>>> deps) {
    Map<String, Integer> index = new HashMap<>();
    Map<String, Integer> low = new HashMap<>();
    Deque<String> stack = new ArrayDeque<>();
    Set<String> onStack = new TreeSet<>();
    List<Set<String>> out = new ArrayList<>();
    for (String v : deps.keySet()) {
      if (!index.containsKey(v)) {
        connect(v, deps, index, low, stack, onStack, out);
      }
    }
    return out;
  }

  private static void connect(
      String v,
      Map<String, Map<String, Set<String>>> deps,
      Map<String, Integer> index,
      Map<String, Integer> low,
      Deque<String> stack,
      Set<String> onStack,
      List<Set<String>> out) {
    index.put(v, index.size());
    low.put(v, index.get(v));
    stack.push(v);
    onStack.add(v);
    for (String w : deps.getOrDefault(v, Map.of()).keySet()) {
      if (!index.containsKey(w)) {
        connect(w, deps, index, low, stack, onStack, out);
        low.put(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.contains(w)) {
        low.put(v, Math.min(low.get(v), index.get(w)));
      }
    }
    if (low.get(v).equals(index.get(v))) {
      Set<String> component = new TreeSet<>();
      String w;
      do {
        w = stack.pop();
        onStack.remove(w);
        component.add(w);
      } while (!w.equals(v));
      out.add(component);
    }
  }
}
