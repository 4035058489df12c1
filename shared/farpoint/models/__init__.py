"""Network definitions used by ``farpoint train`` and the trained-model embedders.

* :mod:`farpoint.models.backbones`   SwAV backbones by name (what a checkpoint's arch rebuilds);
* :mod:`farpoint.models.resnet`      ResNet18 backbone with a CIFAR or ImageNet stem (§3.2);
* :mod:`farpoint.models.efficientnet` EfficientNet-Lite0 from ImageNet weights, last blocks trained;
* :mod:`farpoint.models.heads`       SwAV projection head and prototypes (§2.5);
* :mod:`farpoint.models.swav`        the SwAV model, Sinkhorn-Knopp and swapped-prediction loss;
* :mod:`farpoint.models.autoencoder` conv encoder, small bottleneck, 5 transposed-conv decoder
  layers (§2.4, §3.2.2);
* :mod:`farpoint.models.preprocess`  uint8 frames -> normalized model input (letterbox);
* :mod:`farpoint.models.inference`   the shared embedder over a trained checkpoint.
"""
