"""``farpoint eval``: does farthest-point selection beat random on real labeled data?

The seed paper's protocol (§4.1, Table 4.1): fix a *probe* model and its training recipe;
subsample the pool with method X (labels unused); train the probe on the subset; measure accuracy
on a fixed test set; repeat for N *sampling iterations* and compare against random uniform
subsampling. Iteration ``i`` uses the same seed for every method (same probe initialisation, same
data order), so the comparison is paired.

* :mod:`~farpoint.eval.data`      real labeled sets (Fashion-MNIST IDX files, opencv digits);
* :mod:`~farpoint.eval.derive`    the long-tailed and redundant ("video-like") settings;
* :mod:`~farpoint.eval.features`  cached embeddings + normalization per dataset/setting;
* :mod:`~farpoint.eval.probe`     the probe models and their fixed recipes;
* :mod:`~farpoint.eval.stats`     mean/std, paired t-test, Wilcoxon, class balance;
* :mod:`~farpoint.eval.protocol`  the paired loop over methods and iterations;
* :mod:`~farpoint.eval.video`     segment coverage on real sample videos;
* :mod:`~farpoint.eval.report`    markdown tables + JSON;
* :mod:`~farpoint.eval.cli`       the ``farpoint eval`` sub-command.
"""
