package dev.iova;

/** Receives reservations from {@link IovaDomain#forEachReservation(ReservationVisitor)}. */
@FunctionalInterface
public interface ReservationVisitor
{
    /**
     * @param loPfn first pfn of the reservation.
     * @param hiPfn last pfn (inclusive).
     * @param owner its owner, or {@code null} for an unowned reservation.
     */
    void visit(long loPfn, long hiPfn, String owner);
}
