namespace CameraService.Perf;

/// <summary>A run cannot go on; the message tells the operator what to do. Printed without a stack trace.</summary>
internal sealed class PerfException(string message, Exception? inner = null) : Exception(message, inner);
