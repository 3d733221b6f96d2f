/* The subcommands of ./shiftbench: each takes its own argv (argv[0] = its name) and
 * returns the exit status (0 ok, 2 bad input, 1 failure, 130 interrupted). */
#ifndef SHIFTBENCH_COMMANDS_H
#define SHIFTBENCH_COMMANDS_H

int cmd_cost(int argc, char **argv);     /* analysis/cost_cmd.c */
int cmd_kernel(int argc, char **argv);   /* bench/kernel_cmd.c */
int cmd_net(int argc, char **argv);      /* bench/net_cmd.c */
int cmd_peak(int argc, char **argv);     /* bench/peak.c */
int cmd_compare(int argc, char **argv);  /* bench/compare.c */
int cmd_ratios(int argc, char **argv);   /* bench/ratios.c */
int cmd_plot(int argc, char **argv);     /* plots/plot_cmd.c */
int cmd_sweep(int argc, char **argv);    /* bench/sweep.c */

#endif
