# Sweep chart (shiftbench plot --sweep): see plots/sweep.gp.
what = 'macs'
load plotdir.'/sweep.gp'
