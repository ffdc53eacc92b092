/* `faultline quiz`: one reproducible exercise (quiz.h), with -c its worked
 * answer. */
#include "tools/cli.h"
#include "tools/quiz.h"
#include "hv-models/hv.h"
#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char *quiz_usage =
  "usage: faultline quiz --seed N [--topic walk|tlb|nested|fault-path] [--mode M] [--cpu intel|amd] [-c]\n"
  "\n"
  "Prints an exercise in the habit of the OSTEP homework simulators; the same\n"
  "seed gives the same exercise.  With -c, the worked answer, which the model\n"
  "computes: the walker for page walks (the entries, the access, the control\n"
  "bits: fault or physical address, error code, references), the TLB for\n"
  "hit/miss sequences, 2-D walks over EPT/NPT with some translations in the\n"
  "nested TLB, and a run of `explain`'s program for a hypervisor's exits.\n"
  "\n"
  "  --seed N         which exercise (any number)\n"
  "  --topic T        walk, tlb, nested or fault-path (default: by the seed)\n"
  "  --mode M         fault-path: hvm-shadow or hvm-nested (default: by the seed)\n"
  "  --cpu intel|amd  fault-path: the vendor (default: by the seed)\n"
  "  -c               print the answer too\n"
  "  -h, --help       this text\n";

int cmd_quiz(int argc, char **argv) {
  enum { O_SEED = 256, O_TOPIC, O_MODE, O_CPU };
  static const struct option opts[] = {
    {"seed", 1, 0, O_SEED}, {"topic", 1, 0, O_TOPIC}, {"mode", 1, 0, O_MODE}, {"cpu", 1, 0, O_CPU},
    {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
  uint64_t seed = 0;
  bool have_seed = false, answer = false;
  int topic = -1, ch;
  const char *mode = NULL, *cpu = NULL;
  optind = 1;
  opterr = 0;
  while ((ch = getopt_long(argc, argv, "+hc", opts, NULL)) != -1) {
    switch (ch) {
    case O_SEED: seed = parse_u64(optarg, "bad --seed '%s' (a number)"); have_seed = true; break;
    case O_TOPIC:
      for (int t = 0; t < QUIZ__TOPICS; t++)
        if (!strcmp(optarg, quiz_topic_names[t])) topic = t;
      if (topic < 0) die("unknown topic '%s' (walk, tlb, nested or fault-path)", optarg);
      break;
    case O_MODE:
      if (strcmp(optarg, "hvm-shadow") && strcmp(optarg, "hvm-nested"))
        die("the quiz's fault-path exercises are about hvm-shadow and hvm-nested, not '%s'", optarg);
      mode = optarg;
      break;
    case O_CPU:
      if (strcmp(optarg, "intel") && strcmp(optarg, "amd")) die("--cpu takes intel or amd, not '%s'", optarg);
      cpu = optarg;
      break;
    case 'c': answer = true; break;
    case 'h': fputs(quiz_usage, stdout); return 0;
    default: die("unknown or incomplete option '%s' (see `faultline quiz --help`)", argv[optind - 1]);
    }
  }
  if (optind < argc) die("unexpected '%s' (see `faultline quiz --help`)", argv[optind]);
  if (!have_seed) die("%s", "which exercise? --seed N");
  if ((mode || cpu) && topic >= 0 && topic != QUIZ_FAULT_PATH) die("%s", "--mode and --cpu are for --topic fault-path");
  if (mode || cpu) topic = QUIZ_FAULT_PATH;
  struct quiz q;
  if (quiz_make(&q, seed, topic, mode, cpu)) die("cannot make the exercise: %s", q.answer[0] ? q.answer : "no memory");
  printf("Exercise %llu (%s)\n\n%s", (unsigned long long)seed, quiz_topic_names[q.topic], q.text);
  if (answer) printf("\nAnswer\n\n%s", q.answer);
  return 0;
}
