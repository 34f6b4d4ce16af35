package io.xdpml.model.file;

/** A model file that cannot be used: the message names the file, the field and the reason. */
public final class ModelFileException extends IllegalArgumentException {
    public ModelFileException(String message) {
        super(message);
    }

    public ModelFileException(String message, Throwable cause) {
        super(message, cause);
    }
}
