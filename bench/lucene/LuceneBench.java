// LuceneBench: Apache Lucene 8 (Debian's liblucene8-java) as the fourth
// engine of compare_bench: the same documents, fields, weights and queries as
// Reel, SQLite FTS5 and Xapian, in one thread, under both query semantics.
//
// compare_bench writes the documents and the query set to files and starts
// this program once; it serves every run of the comparison:
//
//   java -cp CLASSPATH LuceneBench --serve=true --docs=F --queries=F --dir=D
//       [--tops=10,100] [--passes=1] [--matching=any,all]
//       [--warmup_passes=10] [--warmup_seconds=0] [--fields=bm25f|dismax|sum]
//       [--tie_breaker=0] [--prefix=constant|top64]
//
// It reads the corpus, builds the index once untimed and warms the JIT with
// untimed passes over the whole set (every semantics and top) until both
// --warmup_passes and --warmup_seconds are reached, prints {"ready":true},
// then answers one request a line on stdin with one JSON report a line on
// stdout: "run any,all" builds a fresh index (timed) and runs the semantics
// in that order, in the shape compare_bench's forked children report;
// "disk" commits the same documents to disk and merges them to one segment
// and reports the sizes. Without --serve it warms up, prints one run's
// report and the disk sizes, and exits.
//
// Documents (one line each, in corpus order, so the Lucene docid is the
// harness's 0-based doc number): scene title, description, context, film
// title, synopsis, tab-separated, with \\, \t, \n and \r escaped. Queries:
// kind<TAB>query in Reel's syntax, the harness's selection of the set.
//
// The mapping (bench/README.md):
//   analysis  StandardTokenizer, English possessive, lower case, ASCII
//             folding, Porter stemming; no stop words (no other engine drops
//             them); no stored text
//   index     five TextFields in one segment in document order (a RAM buffer
//             larger than the corpus; LogByteSizeMergePolicy keeps order),
//             flushed to memory-mapped files under --dir and opened as a
//             near-real-time reader (no commit, no fsync)
//   fields    --fields=bm25f (default): a word is a BM25FQuery over the five
//             fields with Reel's weights (3, 1, 1, 2, 0.5), all doubled as
//             BM25FQuery takes weights >= 1, and k1 doubled with them (2.4),
//             which ranks as the weights would with k1 1.2. Phrases and
//             prefixes, and every clause with --fields=dismax: a
//             DisjunctionMaxQuery (tie breaker --tie_breaker) over the
//             fields' queries, each in a BoostQuery of its field's weight,
//             BM25 (k1 1.2, b 0.75); --fields=sum: a BooleanQuery of them
//   words     a clause per word; SHOULD (matching any) or MUST (all)
//   "a b"     a PhraseQuery per field
//   abc*      a PrefixQuery per field: constant score (Lucene's default), or
//             its 64 most frequent expansions scored (--prefix=top64)
//   -w        MUST_NOT; field:w one field
//   typo      run as typed (Lucene corrects nothing without a fuzzy query)
// A query is timed from its text to the top-k docids (IndexSearcher.search,
// which counts hits exactly up to 1,000).
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.Tokenizer;
import org.apache.lucene.analysis.core.LowerCaseFilter;
import org.apache.lucene.analysis.en.EnglishPossessiveFilter;
import org.apache.lucene.analysis.en.PorterStemFilter;
import org.apache.lucene.analysis.miscellaneous.ASCIIFoldingFilter;
import org.apache.lucene.analysis.standard.StandardTokenizer;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;
import org.apache.lucene.analysis.tokenattributes.PositionIncrementAttribute;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.TextField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.LogByteSizeMergePolicy;
import org.apache.lucene.index.Term;
import org.apache.lucene.index.Terms;
import org.apache.lucene.search.BM25FQuery;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.BoostQuery;
import org.apache.lucene.search.DisjunctionMaxQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.MultiTermQuery;
import org.apache.lucene.search.PhraseQuery;
import org.apache.lucene.search.PrefixQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.search.similarities.BM25Similarity;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.util.BytesRef;

public final class LuceneBench {
  // In Reel's field order (query.h), with Reel's BM25F weights.
  static final String[] FIELDS = {
    "scene_title", "description", "context", "film_title", "synopsis"
  };
  static final float[] WEIGHTS = {3f, 1f, 1f, 2f, 0.5f};
  // Reel's field scope names (field:word).
  static final String[] SCOPES = {"title", "description", "context", "film", "synopsis"};
  static float tieBreaker = 0f;
  // BM25 as Reel's defaults.
  static final float K1 = 1.2f;
  static final float B = 0.75f;
  static final float BM25F_SCALE = 2f;

  /** The analyzer of both documents and queries. */
  static final class BenchAnalyzer extends Analyzer {
    @Override
    protected TokenStreamComponents createComponents(String field) {
      Tokenizer source = new StandardTokenizer();
      TokenStream result = new EnglishPossessiveFilter(source);
      result = new LowerCaseFilter(result);
      result = new ASCIIFoldingFilter(result);
      result = new PorterStemFilter(result);
      return new TokenStreamComponents(source, result);
    }

    @Override
    protected TokenStream normalize(String field, TokenStream in) {
      return new ASCIIFoldingFilter(new LowerCaseFilter(in));
    }
  }

  // ----------------------------------------------------------- input ----

  static String unescape(String s, int from, int to) {
    StringBuilder out = new StringBuilder(to - from);
    for (int i = from; i < to; ++i) {
      char c = s.charAt(i);
      if (c == '\\' && i + 1 < to) {
        char n = s.charAt(++i);
        out.append(n == 't' ? '\t' : n == 'n' ? '\n' : n == 'r' ? '\r' : n);
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }

  static List<String[]> readDocs(String path) throws IOException {
    List<String[]> docs = new ArrayList<>();
    try (BufferedReader in = Files.newBufferedReader(Paths.get(path), StandardCharsets.UTF_8)) {
      String line;
      while ((line = in.readLine()) != null) {
        String[] fields = new String[FIELDS.length];
        int start = 0;
        for (int f = 0; f < FIELDS.length; ++f) {
          int end = line.indexOf('\t', start);
          if (end < 0) end = line.length();
          fields[f] = unescape(line, start, end);
          start = Math.min(line.length(), end + 1);
        }
        docs.add(fields);
      }
    }
    return docs;
  }

  static final class BenchQuery {
    final String kind;
    final String text;

    BenchQuery(String kind, String text) {
      this.kind = kind;
      this.text = text;
    }
  }

  static List<BenchQuery> readQueries(String path) throws IOException {
    List<BenchQuery> queries = new ArrayList<>();
    for (String line : Files.readAllLines(Paths.get(path), StandardCharsets.UTF_8)) {
      if (line.isEmpty() || line.charAt(0) == '#') continue;
      int tab = line.indexOf('\t');
      if (tab < 0) throw new IOException(path + ": no tab in: " + line);
      queries.add(new BenchQuery(line.substring(0, tab), line.substring(tab + 1)));
    }
    return queries;
  }

  // ------------------------------------------------------------ index ----

  static IndexWriterConfig writerConfig(Analyzer analyzer) {
    IndexWriterConfig config = new IndexWriterConfig(analyzer);
    // One flush for the whole corpus, and merges that keep document order,
    // so the docid is the corpus order.
    config.setRAMBufferSizeMB(1024);
    config.setMergePolicy(new LogByteSizeMergePolicy());
    config.setOpenMode(IndexWriterConfig.OpenMode.CREATE);
    return config;
  }

  static void addAll(IndexWriter writer, List<String[]> docs) throws IOException {
    Document doc = new Document();
    Field[] fields = new Field[FIELDS.length];
    for (int f = 0; f < FIELDS.length; ++f) {
      fields[f] = new TextField(FIELDS[f], "", Field.Store.NO);
      doc.add(fields[f]);
    }
    for (String[] texts : docs) {
      for (int f = 0; f < FIELDS.length; ++f) fields[f].setStringValue(texts[f]);
      writer.addDocument(doc);
    }
  }

  // ---------------------------------------------------------- queries ----

  /** One clause of a query in Reel's syntax (compare_bench's SplitQuery). */
  static final class Clause {
    String text = "";
    boolean phrase;
    boolean prefix;
    boolean excluded;
    String scope = "";
  }

  static List<Clause> splitQuery(String query) {
    List<Clause> clauses = new ArrayList<>();
    int i = 0;
    int n = query.length();
    while (i < n) {
      if (query.charAt(i) == ' ') {
        ++i;
        continue;
      }
      Clause clause = new Clause();
      if (query.charAt(i) == '-') {
        clause.excluded = true;
        ++i;
      }
      int colon = indexOr(query, ':', i, n);
      int space = indexOr(query, ' ', i, n);
      int quote = indexOr(query, '"', i, n);
      if (colon < space && colon < quote) {
        clause.scope = query.substring(i, colon);
        i = colon + 1;
      }
      if (i < n && query.charAt(i) == '"') {
        int end = indexOr(query, '"', i + 1, n);
        clause.phrase = true;
        clause.text = query.substring(i + 1, end);
        i = Math.min(n, end + 1);
      } else {
        int end = indexOr(query, ' ', i, n);
        clause.text = query.substring(i, end);
        i = end;
        if (clause.text.endsWith("*")) {
          clause.prefix = true;
          clause.text = clause.text.substring(0, clause.text.length() - 1);
        }
      }
      if (!clause.text.isEmpty()) clauses.add(clause);
    }
    return clauses;
  }

  static int indexOr(String s, char c, int from, int otherwise) {
    int at = s.indexOf(c, from);
    return at < 0 ? otherwise : at;
  }

  static final class QueryBuilder {
    final Analyzer analyzer;
    final String fieldMode;
    final boolean scoredPrefixes;
    final List<String> tokens = new ArrayList<>();
    final List<Integer> positions = new ArrayList<>();
    // Whether every scoring clause of the last build is a BM25FQuery.
    boolean combinedOnly;

    QueryBuilder(Analyzer analyzer, String fieldMode, boolean scoredPrefixes) {
      this.analyzer = analyzer;
      this.fieldMode = fieldMode;
      this.scoredPrefixes = scoredPrefixes;
    }

    /** Analyses `text` into tokens and positions (the field is irrelevant). */
    void analyze(String text) throws IOException {
      tokens.clear();
      positions.clear();
      try (TokenStream stream = analyzer.tokenStream(FIELDS[0], text)) {
        CharTermAttribute term = stream.addAttribute(CharTermAttribute.class);
        PositionIncrementAttribute increment =
            stream.addAttribute(PositionIncrementAttribute.class);
        stream.reset();
        int position = -1;
        while (stream.incrementToken()) {
          position += increment.getPositionIncrement();
          tokens.add(term.toString());
          positions.add(position);
        }
        stream.end();
      }
    }

    /** The clause's query on one field (null: nothing to search). */
    Query onField(Clause clause, int f) {
      String field = FIELDS[f];
      if (clause.prefix) {
        BytesRef prefix = analyzer.normalize(field, clause.text);
        PrefixQuery query = new PrefixQuery(new Term(field, prefix));
        if (scoredPrefixes) {
          query.setRewriteMethod(new MultiTermQuery.TopTermsBlendedFreqScoringRewrite(64));
        }
        return query;
      }
      if (tokens.isEmpty()) return null;
      if (tokens.size() == 1) return new TermQuery(new Term(field, tokens.get(0)));
      PhraseQuery.Builder phrase = new PhraseQuery.Builder();
      for (int t = 0; t < tokens.size(); ++t) {
        phrase.add(new Term(field, tokens.get(t)), positions.get(t));
      }
      return phrase.build();
    }

    /** The clause over its fields, each boosted by its weight. */
    Query clauseQuery(Clause clause) throws IOException {
      if (!clause.prefix) analyze(clause.text);
      int scoped = -1;
      for (int f = 0; f < SCOPES.length; ++f) {
        if (SCOPES[f].equals(clause.scope)) scoped = f;
      }
      if (scoped < 0 && fieldMode.equals("bm25f") && !clause.prefix && tokens.size() == 1) {
        BM25FQuery.Builder builder = new BM25FQuery.Builder();
        for (int f = 0; f < FIELDS.length; ++f) {
          builder.addField(FIELDS[f], BM25F_SCALE * WEIGHTS[f]);
        }
        builder.addTerm(new BytesRef(tokens.get(0)));
        return builder.build();
      }
      if (!clause.excluded) combinedOnly = false;
      if (scoped >= 0) return onField(clause, scoped);
      List<Query> perField = new ArrayList<>(FIELDS.length);
      for (int f = 0; f < FIELDS.length; ++f) {
        Query q = onField(clause, f);
        if (q != null) perField.add(new BoostQuery(q, WEIGHTS[f]));
      }
      if (perField.isEmpty()) return null;
      if (fieldMode.equals("sum")) {
        BooleanQuery.Builder sum = new BooleanQuery.Builder();
        for (Query q : perField) sum.add(q, BooleanClause.Occur.SHOULD);
        return sum.build();
      }
      return new DisjunctionMaxQuery(perField, tieBreaker);
    }

    /** The whole query: clauses SHOULD (any) or MUST (all), exclusions MUST_NOT. */
    Query build(String text, boolean all) throws IOException {
      combinedOnly = true;
      BooleanQuery.Builder query = new BooleanQuery.Builder();
      int positive = 0;
      for (Clause clause : splitQuery(text)) {
        Query q = clauseQuery(clause);
        if (q == null) continue;
        if (clause.excluded) {
          query.add(q, BooleanClause.Occur.MUST_NOT);
        } else {
          query.add(q, all ? BooleanClause.Occur.MUST : BooleanClause.Occur.SHOULD);
          ++positive;
        }
      }
      return positive == 0 ? null : query.build();
    }
  }

  // ---------------------------------------------------------- the run ----

  static final class Searcher {
    final IndexSearcher perField;
    final IndexSearcher combined;
    final QueryBuilder builder;
    ScoreDoc[] hits = new ScoreDoc[0];

    Searcher(DirectoryReader reader, QueryBuilder builder) {
      perField = new IndexSearcher(reader);
      perField.setSimilarity(new BM25Similarity(K1, B));
      // BM25FQuery takes weights >= 1: they are scaled by BM25F_SCALE, and
      // k1 with them, which scales every score by the same factor and so
      // ranks as Reel's weights with k1 would.
      combined = new IndexSearcher(reader);
      combined.setSimilarity(new BM25Similarity(BM25F_SCALE * K1, B));
      this.builder = builder;
    }

    /** Parse, search, read the top ids; false: the query failed. */
    boolean run(BenchQuery query, int top, boolean all) {
      try {
        Query q = builder.build(query.text, all);
        if (q == null) {
          hits = new ScoreDoc[0];
          return true;
        }
        TopDocs docs = (builder.combinedOnly ? combined : perField).search(q, top);
        hits = docs.scoreDocs;
        return true;
      } catch (IOException | RuntimeException e) {
        hits = new ScoreDoc[0];
        return false;
      }
    }
  }

  static long residentBytes() {
    try {
      String[] statm = Files.readString(Paths.get("/proc/self/statm")).trim().split(" ");
      return Long.parseLong(statm[1]) * 4096L;
    } catch (IOException | RuntimeException e) {
      return 0;
    }
  }

  static long heapUsedAfterGc() {
    Runtime runtime = Runtime.getRuntime();
    for (int i = 0; i < 3; ++i) System.gc();
    return runtime.totalMemory() - runtime.freeMemory();
  }

  static long directoryBytes(Directory dir) throws IOException {
    long total = 0;
    for (String file : dir.listAll()) total += dir.fileLength(file);
    return total;
  }

  /** A built index and its searchers, in a directory of its own. */
  static final class Index implements AutoCloseable {
    final Directory dir;
    final IndexWriter writer;
    final DirectoryReader reader;
    final Searcher searcher;

    Index(Path path, Analyzer analyzer, List<String[]> docs, QueryBuilder builder)
        throws IOException {
      dir = FSDirectory.open(path);
      writer = new IndexWriter(dir, writerConfig(analyzer));
      addAll(writer, docs);
      // A near-real-time reader: the segment is written (to the page cache)
      // and opened without a commit's fsync, as a search server refreshes.
      reader = DirectoryReader.open(writer);
      searcher = new Searcher(reader, builder);
    }

    @Override
    public void close() throws IOException {
      reader.close();
      writer.rollback(); // Deletes the uncommitted files.
      dir.close();
    }
  }

  /** The corpus, the queries and the settings of every run. */
  static final class Bench {
    final Analyzer analyzer = new BenchAnalyzer();
    final List<String[]> docs;
    final List<BenchQuery> queries;
    final List<Integer> tops = new ArrayList<>();
    final int passes;
    final QueryBuilder builder;
    final String fieldMode;
    final Path dir;
    int runs;
    String warmup = "{}"; // The warm-up's report.

    Bench(Map<String, String> flags) throws IOException {
      docs = readDocs(flags.get("docs"));
      queries = readQueries(flags.get("queries"));
      for (String t : flags.getOrDefault("tops", "10,100").split(",")) {
        if (!t.isEmpty()) tops.add(Integer.parseInt(t));
      }
      passes = Math.max(1, Integer.parseInt(flags.getOrDefault("passes", "1")));
      fieldMode = flags.getOrDefault("fields", "bm25f");
      tieBreaker = Float.parseFloat(flags.getOrDefault("tie_breaker", "0"));
      builder =
          new QueryBuilder(
              analyzer, fieldMode, flags.getOrDefault("prefix", "constant").equals("top64"));
      dir = Paths.get(flags.get("dir"));
    }

    /**
     * Warms the JIT: one untimed build, then untimed passes over the whole set
     * under every semantics and top, until both `passes` and `seconds` are
     * reached.
     */
    void warmUp(String[] matchings, int minPasses, double minSeconds) throws IOException {
      Json json = new Json();
      json.open('{');
      long start = System.nanoTime();
      try (Index index = new Index(dir.resolve("warmup"), analyzer, docs, builder)) {
        json.key("build_seconds").number((System.nanoTime() - start) / 1e9);
        json.key("qps").open('[');
        long warmStart = System.nanoTime();
        int warmed = 0;
        while (warmed < minPasses || (System.nanoTime() - warmStart) / 1e9 < minSeconds) {
          long passStart = System.nanoTime();
          int count = 0;
          for (String matching : matchings) {
            for (BenchQuery q : queries) {
              for (int top : tops) {
                index.searcher.run(q, top, matching.equals("all"));
                ++count;
              }
            }
          }
          json.number(count / ((System.nanoTime() - passStart) / 1e9));
          ++warmed;
        }
        json.close(']');
        json.key("passes").number(warmed);
        json.key("seconds").number((System.nanoTime() - warmStart) / 1e9);
      }
      json.close('}');
      warmup = json.toString();
    }

    /** One run: a timed build, then each semantics in order; its report. */
    String run(String[] matchings) throws IOException {
      long heapBefore = heapUsedAfterGc();
      long rssBefore = residentBytes();
      long buildStart = System.nanoTime();
      Index index = new Index(dir.resolve("run" + runs++), analyzer, docs, builder);
      double buildSeconds = (System.nanoTime() - buildStart) / 1e9;
      long rssBuilt = residentBytes();
      DirectoryReader reader = index.reader;
      if (reader.maxDoc() != docs.size()) {
        throw new IOException("indexed " + reader.maxDoc() + " of " + docs.size());
      }
      long terms = 0;
      for (LeafReaderContext leaf : reader.leaves()) {
        for (String field : FIELDS) {
          Terms t = leaf.reader().terms(field);
          if (t != null) terms += t.size();
        }
      }
      long heapIndex = heapUsedAfterGc() - heapBefore;

      Searcher engine = index.searcher;
      Json json = new Json();
      json.open('{');
      json.key("engine").string("lucene");
      json.key("build_seconds").number(buildSeconds);
      json.key("rss_build_bytes").number(rssBuilt - rssBefore);
      json.key("warmup").raw(warmup);
      json.key("matching").open('{');
      for (String matching : matchings) {
        boolean all = matching.equals("all");
        json.key(matching).open('{');
        // An untimed pass gives the top-10 ids for overlap.
        int errors = 0;
        json.key("top10_ids").open('[');
        List<Integer> counts = new ArrayList<>();
        for (BenchQuery q : queries) {
          if (!engine.run(q, 10, all)) ++errors;
          json.open('[');
          for (ScoreDoc hit : engine.hits) json.number(hit.doc);
          json.close(']');
          counts.add(engine.hits.length);
        }
        json.close(']');
        json.key("top10_counts").open('[');
        for (int c : counts) json.number(c);
        json.close(']');
        json.key("errors").number(errors);
        json.key("timed").open('{');
        for (int top : tops) {
          json.key(Integer.toString(top)).open('[');
          for (int pass = 0; pass < passes; ++pass) {
            double[] latency = new double[queries.size()];
            long start = System.nanoTime();
            for (int i = 0; i < queries.size(); ++i) {
              long t0 = System.nanoTime();
              engine.run(queries.get(i), top, all);
              latency[i] = (System.nanoTime() - t0) / 1e3;
            }
            double wall = (System.nanoTime() - start) / 1e9;
            json.open('{');
            json.key("wall_seconds").number(wall);
            json.key("latency_us").open('[');
            for (double l : latency) json.number(l);
            json.close(']');
            json.close('}');
          }
          json.close(']');
        }
        json.close('}');
        json.close('}');
      }
      json.close('}');
      json.key("rss_after_queries_bytes").number(residentBytes() - rssBefore);
      json.key("stats").open('{');
      json.key("documents").number(reader.maxDoc());
      json.key("segments").number(reader.leaves().size());
      json.key("terms").number(terms);
      json.key("index_bytes").number(directoryBytes(index.dir));
      json.key("heap_index_bytes").number(heapIndex);
      json.key("fields").string(fieldMode);
      json.key("tie_breaker").number(tieBreaker);
      json.key("directory").string(index.dir.getClass().getSimpleName());
      json.key("lucene_version").string(org.apache.lucene.util.Version.LATEST.toString());
      json.key("java_version").string(System.getProperty("java.version"));
      json.close('}');
      json.close('}');
      index.close();
      return json.toString();
    }

    /** The same index on disk: size as committed, and merged to one segment. */
    String disk() throws IOException {
      Path path = dir.resolve("disk");
      long start = System.nanoTime();
      long built;
      long merged;
      try (Directory d = FSDirectory.open(path)) {
        try (IndexWriter writer = new IndexWriter(d, writerConfig(analyzer))) {
          addAll(writer, docs);
          writer.commit();
          built = directoryBytes(d);
          writer.forceMerge(1);
          writer.commit();
        }
        merged = directoryBytes(d);
        for (String file : d.listAll()) d.deleteFile(file);
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      Json json = new Json();
      json.open('{');
      json.key("disk_bytes").number(built);
      json.key("merged_disk_bytes").number(merged);
      json.key("disk_build_seconds").number(seconds);
      json.close('}');
      return json.toString();
    }
  }

  /** A minimal JSON writer: commas are placed by nesting level. */
  static final class Json {
    final StringBuilder out = new StringBuilder(1 << 20);
    boolean first = true;

    Json open(char c) {
      comma();
      out.append(c);
      first = true;
      return this;
    }

    Json close(char c) {
      out.append(c);
      first = false;
      return this;
    }

    Json key(String k) {
      comma();
      quote(k);
      out.append(':');
      first = true;  // The value follows without a comma.
      return this;
    }

    Json string(String s) {
      comma();
      quote(s);
      return this;
    }

    Json raw(String json) {
      comma();
      out.append(json);
      return this;
    }

    Json number(double v) {
      comma();
      if (v == Math.rint(v) && Math.abs(v) < 1e15) {
        out.append((long) v);
      } else {
        out.append(String.format(Locale.ROOT, "%.6g", v));
      }
      return this;
    }

    void comma() {
      if (!first) out.append(',');
      first = false;
    }

    void quote(String s) {
      out.append('"');
      for (int i = 0; i < s.length(); ++i) {
        char c = s.charAt(i);
        if (c == '"' || c == '\\') {
          out.append('\\').append(c);
        } else if (c < 0x20) {
          out.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
        } else {
          out.append(c);
        }
      }
      out.append('"');
    }

    @Override
    public String toString() {
      return out.toString();
    }
  }

  public static void main(String[] args) throws IOException {
    Map<String, String> flags = new HashMap<>();
    for (String arg : args) {
      if (!arg.startsWith("--") || arg.indexOf('=') < 0) {
        System.err.println("usage: LuceneBench --docs=F --queries=F --dir=D [--flag=value...]");
        System.exit(2);
      }
      flags.put(arg.substring(2, arg.indexOf('=')), arg.substring(arg.indexOf('=') + 1));
    }
    // Keep stdout for the reports only.
    PrintStream out = System.out;
    System.setOut(System.err);
    Bench bench = new Bench(flags);
    String[] matchings = flags.getOrDefault("matching", "any,all").split(",");
    bench.warmUp(
        matchings,
        Integer.parseInt(flags.getOrDefault("warmup_passes", "10")),
        Double.parseDouble(flags.getOrDefault("warmup_seconds", "0")));
    if (!flags.getOrDefault("serve", "false").equals("true")) {
      out.println(bench.run(matchings));
      out.println(bench.disk());
      out.flush();
      return;
    }
    // Serving compare_bench: one request a line, one report a line.
    BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    out.println("{\"ready\":true}");
    out.flush();
    String line;
    while ((line = in.readLine()) != null) {
      if (line.startsWith("run ")) {
        out.println(bench.run(line.substring(4).split(",")));
      } else if (line.equals("disk")) {
        out.println(bench.disk());
      } else if (line.equals("quit")) {
        break;
      } else {
        System.err.println("LuceneBench: unknown request: " + line);
        System.exit(2);
      }
      out.flush();
    }
  }
}
