# Sweep chart (shiftbench plot --sweep): see plots/sweep.gp.
what = 'params'
load plotdir.'/sweep.gp'
