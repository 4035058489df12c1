"""trainer: runs training jobs (`farpoint train`) and stores the result as a named model."""
