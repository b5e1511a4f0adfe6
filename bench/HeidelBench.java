/*
 * Drives HeidelTime (standalone API, English, news, no POS tagger) for
 * bench/run.sh. Compiled into .cache/heideltime by bench/heideltime.sh;
 * HeidelTime itself is fetched from Maven Central there, never committed.
 *
 *   HeidelBench CONFIG t17 FILE FIRST N WARM
 *       times articles [FIRST, FIRST+N) of a dateline message file (one
 *       " date YYYY-MM-DD body" per line) after WARM warm-up articles taken
 *       from the end of the file; prints one JSON line.
 *   HeidelBench CONFIG docs DIR
 *       tags every DIR/NAME.txt with the DCT in DIR/NAME.dct, writes the
 *       TimeML output to DIR/NAME.out.
 */
import de.unihd.dbs.heideltime.standalone.DocumentType;
import de.unihd.dbs.heideltime.standalone.HeidelTimeStandalone;
import de.unihd.dbs.heideltime.standalone.OutputType;
import de.unihd.dbs.heideltime.standalone.POSTagger;
import de.unihd.dbs.uima.annotator.heideltime.resources.Language;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.text.SimpleDateFormat;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.Logger;

public class HeidelBench {
    private static final SimpleDateFormat DAY = new SimpleDateFormat("yyyy-MM-dd");

    public static void main(String[] args) throws Exception {
        /* HeidelTime logs every document at INFO: that is not tagging work. */
        LogManager.getLogManager().reset();
        Logger.getLogger("").setLevel(Level.OFF);
        long t0 = System.nanoTime();
        HeidelTimeStandalone ht = new HeidelTimeStandalone(Language.ENGLISH, DocumentType.NEWS,
                OutputType.TIMEML, args[0], POSTagger.NO);
        double initS = (System.nanoTime() - t0) / 1e9;
        if (args[1].equals("t17"))
            t17(ht, args[2], Integer.parseInt(args[3]), Integer.parseInt(args[4]),
                Integer.parseInt(args[5]), initS);
        else if (args[1].equals("docs"))
            docs(ht, args[2]);
        else
            throw new IllegalArgumentException("mode must be t17 or docs");
    }

    private static void t17(HeidelTimeStandalone ht, String file, int first, int n, int warm,
                            double initS) throws Exception {
        List<String> lines = new ArrayList<>();
        for (String l : Files.readAllLines(Paths.get(file), StandardCharsets.UTF_8))
            if (!l.isEmpty())
                lines.add(l);
        for (int i = 0; i < warm; i++)
            tag(ht, lines.get(lines.size() - 1 - i));
        long bytes = 0, timexes = 0;
        long t0 = System.nanoTime();
        for (int i = first; i < first + n && i < lines.size(); i++) {
            String out = tag(ht, lines.get(i));
            bytes += lines.get(i).getBytes(StandardCharsets.UTF_8).length + 1;
            for (int k = out.indexOf("<TIMEX3 "); k >= 0; k = out.indexOf("<TIMEX3 ", k + 1))
                timexes++;
        }
        double s = (System.nanoTime() - t0) / 1e9;
        System.out.printf("{\"articles\":%d,\"bytes\":%d,\"seconds\":%.3f,\"timexes\":%d,"
                + "\"init_seconds\":%.3f,\"warmup_articles\":%d}%n",
                Math.min(n, lines.size() - first), bytes, s, timexes, initS, warm);
    }

    /* A message is " date YYYY-MM-DD " + body. */
    private static String tag(HeidelTimeStandalone ht, String line) throws Exception {
        String l = line.startsWith(" date ") ? line.substring(6) : line;
        Date dct = DAY.parse(l.substring(0, 10));
        return ht.process(l.substring(Math.min(11, l.length())), dct);
    }

    private static void docs(HeidelTimeStandalone ht, String dir) throws Exception {
        File[] files = new File(dir).listFiles((d, name) -> name.endsWith(".txt"));
        if (files == null)
            throw new IllegalArgumentException(dir + ": not a directory");
        for (File f : files) {
            String base = f.getPath().substring(0, f.getPath().length() - 4);
            String text = new String(Files.readAllBytes(f.toPath()), StandardCharsets.UTF_8);
            String dct = new String(Files.readAllBytes(Paths.get(base + ".dct")),
                                    StandardCharsets.UTF_8).trim();
            String out = ht.process(text, DAY.parse(dct));
            Path p = Paths.get(base + ".out");
            Files.write(p, out.getBytes(StandardCharsets.UTF_8));
        }
    }
}
