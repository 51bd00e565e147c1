// The messages Glance answers a refused delete with, word for word: the suites expect exactly these.
export const DELETE_FORBIDDEN_MESSAGE = 'You are not authorized to complete delete_image action.';
export const imageProtectedMessage = (imageId: string) => `Image ${imageId} is protected and cannot be deleted.`;
