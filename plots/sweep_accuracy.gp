# Sweep chart (shiftbench plot --sweep): see plots/sweep.gp.
what = 'acc'
load plotdir.'/sweep.gp'
