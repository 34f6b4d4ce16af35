package io.xdpml.model.onnx;

/**
 * An ONNX model, its sidecar or its metadata that xdpml cannot use: the message names the file
 * (and the JSON field or line) and the reason. Nothing is loaded when it is thrown.
 */
public final class OnnxModelException extends IllegalArgumentException {
    public OnnxModelException(String message) {
        super(message);
    }

    public OnnxModelException(String message, Throwable cause) {
        super(message, cause);
    }
}
