// Package fashionmnist loads Fashion-MNIST, Zalando's drop-in replacement
// for MNIST (60,000 training and 10,000 test grey-scale pictures of 28×28
// pixels of clothes, in 10 classes), the way
// keras.datasets.fashion_mnist.load_data does, without Python and without
// committing the data to any repository.
//
//	train, test, err := fashionmnist.LoadData(fashionmnist.WithLogger(os.Stderr))
//	if err != nil {
//		log.Fatal(err)
//	}
//	x := train.X.Float32()                         // (60000, 28, 28) in [0, 1], as x_train / 255
//	y, _ := fashionmnist.ToCategorical(train.Y, 10) // (60000, 10) one-hot
//	fmt.Println(fashionmnist.ClassNames()[train.Y[0]]) // Ankle boot
//
// The data comes in the same types as package mnist's (Images, Labels,
// Dataset are mnist's), so everything that trains on MNIST trains on
// Fashion-MNIST: train.X is a goras.Data that keeps the uint8 pixels and
// scales them to [0, 1] as batches are gathered.
//
// # Where the data comes from
//
// LoadData needs the four files the publisher distributes (see Files):
// train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte
// and t10k-labels-idx1-ubyte, each gzipped (.gz) or not. It takes each from
// the first of these places that has a good copy:
//
//  1. a directory named with WithDir or the GORAS_FASHION_MNIST_DIR
//     environment variable (a WithDir directory holding none of the files
//     is an error);
//  2. the cache directory, $GORAS_CACHE/fashion-mnist or else
//     os.UserCacheDir()/goras/fashion-mnist (~/.cache/goras/fashion-mnist on
//     Linux);
//  3. /usr/share/datasets/fashion-mnist, where Debian's and Ubuntu's
//     dataset-fashion-mnist package installs them
//     (`apt-get install dataset-fashion-mnist`);
//  4. the publisher's download URLs, then Keras's mirror (WithMirrors and
//     GORAS_FASHION_MNIST_MIRRORS are tried first).
//
// Every copy is checked against pinned SHA-256 hashes, of the gzipped file
// or of its uncompressed bytes (Debian recompresses the files, so its copies
// are accepted by the hash of what they unpack to); one that does not match
// is reported and skipped. Downloaded files are copied into the cache. When
// nothing works, the error lists what was tried and says which file to put
// in which directory; WithDownload(false) keeps LoadData off the network.
package fashionmnist
