using System.Buffers;

namespace CameraService.Plugins.WebSocket;

/// <summary>
/// An <see cref="IBufferWriter{T}"/> over arrays rented from <see cref="ArrayPool{T}.Shared"/>. The written
/// array can be handed off (<see cref="Detach"/>) to the outbound queue without a copy; the queue returns it.
/// Not thread-safe: one per session, used by the reader loop only. <see cref="ArrayBufferWriter{T}"/> is not
/// used because it cannot give its array away, which would cost a copy per response.
/// </summary>
internal sealed class PooledBufferWriter : IBufferWriter<byte>, IDisposable
{
    private const int MinimumSize = 1024;
    private byte[]? _buffer;
    private int _written;

    public int WrittenCount => _written;

    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (_buffer is null || _written + count > _buffer.Length)
        {
            throw new InvalidOperationException("Cannot advance past the end of the buffer.");
        }

        _written += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsMemory(_written);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsSpan(_written);
    }

    /// <summary>Gives away the written array (the caller returns it to the pool) and starts empty.</summary>
    public OutboundMessage Detach()
    {
        var message = new OutboundMessage(_buffer ?? [], _written);
        _buffer = null;
        _written = 0;
        return message;
    }

    /// <summary>Forgets what was written, keeping the array for the next message.</summary>
    public void Reset() => _written = 0;

    public void Dispose()
    {
        if (_buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = null;
        }

        _written = 0;
    }

    private void Ensure(int sizeHint)
    {
        var needed = Math.Max(sizeHint, 1);
        if (_buffer is not null && _buffer.Length - _written >= needed)
        {
            return;
        }

        var size = Math.Max(MinimumSize, Math.Max(_written + needed, (_buffer?.Length ?? 0) * 2));
        var bigger = ArrayPool<byte>.Shared.Rent(size);
        if (_buffer is not null)
        {
            _buffer.AsSpan(0, _written).CopyTo(bigger);
            ArrayPool<byte>.Shared.Return(_buffer);
        }

        _buffer = bigger;
    }
}

/// <summary>A message waiting in a session's outbound queue: a pooled array and the used length.</summary>
internal readonly record struct OutboundMessage(byte[] Buffer, int Length)
{
    public ReadOnlyMemory<byte> Memory => Buffer.AsMemory(0, Length);

    public void Release()
    {
        if (Buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(Buffer);
        }
    }
}

/// <summary>A received message: its array (pooled or the session's own small one) and length.</summary>
internal readonly record struct InboundMessage(byte[] Buffer, int Length, bool Pooled)
{
    public ReadOnlyMemory<byte> Memory => Buffer.AsMemory(0, Length);

    public void Release()
    {
        if (Pooled)
        {
            ArrayPool<byte>.Shared.Return(Buffer);
        }
    }
}
