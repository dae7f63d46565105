package dev.iova.bench.trace;

import java.util.Arrays;

/**
 * The ids a generator has allocated and not yet freed, oldest first: a growable ring of longs
 * that can give back an id near the oldest (in-flight buffers completing nearly in order) or
 * any id (random frees).
 */
final class LiveIds
{
    private long[] ids = new long[64];
    private int oldest;
    private int size;

    int size()
    {
        return size;
    }

    boolean isEmpty()
    {
        return size == 0;
    }

    void add(final long id)
    {
        if (size == ids.length)
        {
            final long[] grown = new long[ids.length * 2];
            for (int i = 0; i < size; i++)
            {
                grown[i] = ids[slot(i)];
            }
            ids = grown;
            oldest = 0;
        }
        ids[slot(size)] = id;
        size++;
    }

    /**
     * Removes the id {@code age} places after the oldest; the others keep their order.
     *
     * @param age 0 for the oldest, at most {@code size() - 1}.
     */
    long removeNearOldest(final int age)
    {
        checkIndex(age);
        final long id = ids[slot(age)];
        for (int i = age; i > 0; i--)
        {
            ids[slot(i)] = ids[slot(i - 1)];
        }
        oldest = slot(1);
        size--;
        return id;
    }

    /**
     * Removes the id at {@code index} (0 is the oldest); the newest id takes its place.
     *
     * @param index in {@code [0, size())}.
     */
    long removeAt(final int index)
    {
        checkIndex(index);
        final long id = ids[slot(index)];
        ids[slot(index)] = ids[slot(size - 1)];
        size--;
        return id;
    }

    private int slot(final int index)
    {
        return (oldest + index) & (ids.length - 1);
    }

    private void checkIndex(final int index)
    {
        if (index < 0 || index >= size)
        {
            throw new IndexOutOfBoundsException("index=" + index + " is outside [0, " + size + ")");
        }
    }

    @Override
    public String toString()
    {
        final long[] inOrder = new long[size];
        for (int i = 0; i < size; i++)
        {
            inOrder[i] = ids[slot(i)];
        }
        return Arrays.toString(inOrder);
    }
}
