// Package recipes holds goras's trained-to-a-target networks: each Recipe is
// a network together with everything it is trained by (optimizer and
// schedule, loss, augmentation, epochs, batch size), chosen on a validation
// split and never on the test set.
//
//   - Best: the 99.5 % bounty recipe, ≥ 99.5 % MNIST test accuracy per seed;
//   - BestLong: Best over 24 epochs, the members of the 99.73 % ensemble of
//     five (package ensemble);
//   - Fast: ≥ 99 % in under two minutes on a 2-core CPU;
//   - Sprint: Best over 10 epochs under mixed_bfloat16, ≥ 99.5 % in under
//     three minutes on a 2-core CPU with AVX512_BF16;
//   - Fashion: the Fashion-MNIST recipe, ≥ 93 % test accuracy
//     (docs/fashion.md).
//
// Run follows the protocol of docs/bounty.md: train on the first 55,000
// training images, validate on the last 5,000 after every epoch, evaluate the
// test set once at the end:
//
//	train, test, err := mnist.LoadData()
//	res, err := recipes.Best().Run(ctx, seed, train, test, recipes.RunOptions{})
//	fmt.Println(res.TestAccuracy)
//	err = saving.Save(res.Model, "best.safetensors")
//
// The same seed gives the same weights, dropout masks, augmentation and
// shuffling, hence the same result.
// `goras train --model best|best-long|fast|sprint|fashion` runs these recipes.
package recipes
