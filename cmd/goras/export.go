package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/goras-ml/goras/onnx"
	"github.com/goras-ml/goras/quantize"
	"github.com/goras-ml/goras/saving"
	"github.com/spf13/cobra"
)

func newExportCmd() *cobra.Command {
	var opset int
	var nchw bool
	cmd := &cobra.Command{
		Use:   "export MODEL_FILE OUTPUT.onnx",
		Short: "Write a saved model as an ONNX file, for onnxruntime and other frameworks",
		Long: `Load a model saved by "goras train --output FILE" (or model.Save, or a
checkpoint) and write it as an ONNX model, which onnxruntime, PyTorch's and
TensorFlow's tools and most serving stacks read. The input keeps goras's
layout, (N, 28, 28, 1) for images, unless --nchw asks for channels first,
(N, 1, 28, 28), as PyTorch models take; the batch dimension N is dynamic.
Inputs and outputs are named after the model's layers, weights after the
model's weights. It prints what it wrote.

An int8 model written by "goras quantize" is exported in QDQ form: uint8
activations and int8 weights (a scale per output channel) through
QuantizeLinear/DequantizeLinear pairs around float operators, which
onnxruntime runs as integer QLinearConv and QGemm.`,
		Example: "  goras train --model lenet5 --output lenet5.safetensors\n" +
			"  goras export lenet5.safetensors lenet5.onnx\n" +
			"  goras export --opset 13 --nchw lenet5.safetensors lenet5-nchw.onnx\n" +
			"  goras quantize lenet5.safetensors lenet5-int8.safetensors\n" +
			"  goras export lenet5-int8.safetensors lenet5-int8.onnx",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 2 {
				return fmt.Errorf("export takes MODEL_FILE and OUTPUT.onnx, got %d arguments (see '%s --help')", len(args), cmd.CommandPath())
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			in, out := args[0], args[1]
			if opset != 13 && opset != 17 {
				return fmt.Errorf("--opset must be 13 or 17, got %d", opset)
			}
			if ext := strings.ToLower(filepath.Ext(out)); ext != ".onnx" {
				return fmt.Errorf("the output %s should end in .onnx, got %q; the model file comes first: goras export MODEL_FILE OUTPUT.onnx", out, ext)
			}
			if err := exportFile(in, out, onnx.Opset(opset), onnx.NCHW(nchw)); err != nil {
				return err
			}
			b, err := os.ReadFile(out)
			if err != nil {
				return err
			}
			info, err := onnx.Inspect(b)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s (%d bytes)\n%s\n", out, len(b), info)
			return nil
		},
	}
	cmd.Flags().IntVar(&opset, "opset", 17, "ONNX operator set version: 17, or 13 for older runtimes")
	cmd.Flags().BoolVar(&nchw, "nchw", false, "take images channels first, (N, C, H, W), instead of goras's (N, H, W, C)")
	cmd.Flags().SortFlags = false
	return cmd
}

// exportFile writes the model file in, float or int8 (quantize's), as the
// ONNX file out.
func exportFile(in, out string, opts ...onnx.Option) error {
	if quantize.IsQuantizedFile(in) {
		q, err := quantize.Load(in)
		if err != nil {
			return err
		}
		return onnx.ExportQuantized(q, out, opts...)
	}
	m, err := saving.Load(in)
	if err != nil {
		return err
	}
	return onnx.Export(m, out, opts...)
}
