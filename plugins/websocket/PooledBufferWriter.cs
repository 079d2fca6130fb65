using System.Buffers;

namespace CameraService.Plugins.WebSocket;

/// <summary>
/// An <see cref="IBufferWriter{T}"/> over arrays from the session's <see cref="BufferCache"/>. The written
/// array can be handed off (<see cref="Detach"/>) to the outbound queue without a copy; the queue returns it.
/// Not thread-safe: one per session, used by the reader loop only. <see cref="ArrayBufferWriter{T}"/> is not
/// used because it cannot give its array away, which would cost a copy per response.
/// </summary>
internal sealed class PooledBufferWriter(BufferCache cache) : IBufferWriter<byte>, IDisposable
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
            cache.Return(_buffer);
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
        var bigger = cache.Rent(size);
        if (_buffer is not null)
        {
            _buffer.AsSpan(0, _written).CopyTo(bigger);
            cache.Return(_buffer);
        }

        _buffer = bigger;
    }
}

/// <summary>A message waiting in a session's outbound queue: a pooled array and the used length.</summary>
internal readonly record struct OutboundMessage(byte[] Buffer, int Length)
{
    public ReadOnlyMemory<byte> Memory => Buffer.AsMemory(0, Length);

    public void Release(BufferCache cache) => cache.Return(Buffer);
}

/// <summary>A received message: its array (pooled or the session's own small one) and length.</summary>
internal readonly record struct InboundMessage(byte[] Buffer, int Length, bool Pooled)
{
    public ReadOnlyMemory<byte> Memory => Buffer.AsMemory(0, Length);

    public void Release(BufferCache cache)
    {
        if (Pooled)
        {
            cache.Return(Buffer);
        }
    }
}

/// <summary>
/// One spare array per session in front of <see cref="ArrayPool{T}.Shared"/>. A response is rented on the
/// reader's thread and returned on the writer's; with many sessions in flight that cross-thread flow overflows
/// the shared pool's per-core stacks (measured: about one rent in four allocated with 100 busy sessions). The
/// spare makes the closed-loop request/response path allocation-free. Thread-safe.
/// </summary>
internal sealed class BufferCache
{
    // Larger arrays go back to the shared pool rather than staying with an idle session.
    private const int MaxSpareLength = 16 * 1024;
    private byte[]? _spare;

    public byte[] Rent(int minimumLength)
    {
        var spare = Interlocked.Exchange(ref _spare, null);
        if (spare is not null)
        {
            if (spare.Length >= minimumLength)
            {
                return spare;
            }

            ArrayPool<byte>.Shared.Return(spare);
        }

        return ArrayPool<byte>.Shared.Rent(Math.Max(minimumLength, 1));
    }

    public void Return(byte[] array)
    {
        if (array.Length == 0)
        {
            return;
        }

        if (array.Length <= MaxSpareLength && Interlocked.CompareExchange(ref _spare, array, null) is null)
        {
            return;
        }

        ArrayPool<byte>.Shared.Return(array);
    }

    /// <summary>Gives the spare back to the shared pool (the session ended).</summary>
    public void Clear()
    {
        if (Interlocked.Exchange(ref _spare, null) is { } spare)
        {
            ArrayPool<byte>.Shared.Return(spare);
        }
    }
}
