package onnx

import "github.com/goras-ml/goras/onnx/internal/onnxpb"

// importers maps ONNX operators to the functions that import them.
var importers map[string]func(im *importer, n *onnxpb.NodeProto) error

func init() {
	importers = map[string]func(*importer, *onnxpb.NodeProto) error{
		"Gemm": importGemm, "MatMul": importMatMul,
		"Conv": importConv, "ConvTranspose": importConvTranspose,
		"MaxPool": importMaxPool, "AveragePool": importAvgPool,
		"GlobalAveragePool": importGlobalAveragePool, "GlobalMaxPool": importGlobalMaxPool,
		"ReduceMean": importReduceMean, "ReduceMax": importReduceMax,
		"BatchNormalization": importBatchNorm,
		"Relu":               importActivation, "Sigmoid": importActivation, "Tanh": importActivation, "Softplus": importActivation,
		"LeakyRelu": importActivation, "Elu": importActivation, "Selu": importActivation, "Gelu": importActivation,
		"HardSigmoid": importHardSigmoid, "Erf": importErf, "Clip": importClip,
		"Softmax": importSoftmax, "LogSoftmax": importSoftmax,
		"Add": importBinary, "Sub": importBinary, "Mul": importBinary, "Div": importBinary,
		"Pad": importPad, "Dropout": importDropout, "Identity": importIdentity,
		"Flatten": importFlatten, "Reshape": importReshape, "Transpose": importTranspose,
		"Squeeze": importSqueeze, "Unsqueeze": importUnsqueeze, "Concat": importConcat,
		"Constant": importConstant, "ConstantOfShape": importConstantOfShape, "Cast": importCast,
		"Shape": importShape, "Gather": importGather, "Slice": importSlice,
		"PRelu": importPRelu, "ThresholdedRelu": importThresholdedRelu, "LayerNormalization": importLayerNorm,
		"Resize": importResize, "Upsample": importUpsample,
	}
}
